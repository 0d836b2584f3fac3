/** When a failed task is tried again, and when it is given up, following Cloud Tasks' RetryConfig rules. */

/** A queue's RetryConfig in milliseconds; `maxAttempts` -1 means unlimited, durations 0 mean unlimited. */
export interface RetrySettings {
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
  maxRetryDurationMs: number;
}

/** Cloud Tasks' own defaults for a queue created without a RetryConfig. */
export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 100,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
  maxRetryDurationMs: 0,
};

/**
 * Delay before the next attempt after `failedAttempts` failures (>= 1): it starts at minBackoff, doubles
 * maxDoublings times, then grows linearly by the last doubled step, and never exceeds maxBackoff.
 */
export function retryDelayMs(retry: RetrySettings, failedAttempts: number): number {
  const n = Math.max(0, failedAttempts - 1);
  const doublings = Math.min(n, retry.maxDoublings);
  const step = retry.minBackoffMs * 2 ** doublings;
  const delay = n <= retry.maxDoublings ? step : step * (n - retry.maxDoublings + 1);
  return Math.min(delay, retry.maxBackoffMs);
}

/** True once a task may not be tried again: both maxAttempts and maxRetryDuration (when set) are reached. */
export function retriesExhausted(
  retry: RetrySettings,
  task: { dispatchCount: number; firstAttemptMs: number; nowMs: number },
): boolean {
  const durationReached =
    retry.maxRetryDurationMs === 0 || task.nowMs - task.firstAttemptMs >= retry.maxRetryDurationMs;
  // Unlimited attempts only end when a retry duration is configured.
  const attemptsReached =
    retry.maxAttempts === -1 ? retry.maxRetryDurationMs > 0 : task.dispatchCount >= retry.maxAttempts;
  return attemptsReached && durationReached;
}
