/** A local queue's settings: defaults, the start-up spec, and the mapping to and from the Queue message. */
import { msToProto, type ProtoSeconds, protoToMs } from './protoTime.js';
import { DEFAULT_RETRY, type RetrySettings } from './retryPolicy.js';

export type QueueState = 'RUNNING' | 'PAUSED';

export interface QueueSettings {
  retry: RetrySettings;
  maxConcurrentDispatches: number;
  maxDispatchesPerSecond: number;
}

/** A queue configured when the emulator starts; durations in seconds (fractions allowed for tests). */
export interface QueueSpec {
  /** `projects/P/locations/L/queues/Q`. */
  name: string;
  retry?: {
    maxAttempts?: number;
    minBackoffSeconds?: number;
    maxBackoffSeconds?: number;
    maxDoublings?: number;
    maxRetryDurationSeconds?: number;
  };
  maxConcurrentDispatches?: number;
  maxDispatchesPerSecond?: number;
  paused?: boolean;
}

/** Cloud Tasks' defaults for rate limits. */
export const DEFAULT_SETTINGS: QueueSettings = {
  retry: DEFAULT_RETRY,
  maxConcurrentDispatches: 1000,
  maxDispatchesPerSecond: 500,
};

export function settingsFromSpec(spec: QueueSpec): QueueSettings {
  const retry = spec.retry ?? {};
  const seconds = (value: number | undefined, fallbackMs: number): number =>
    value === undefined ? fallbackMs : Math.round(value * 1000);
  return checkSettings({
    retry: {
      maxAttempts: retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      minBackoffMs: seconds(retry.minBackoffSeconds, DEFAULT_RETRY.minBackoffMs),
      maxBackoffMs: seconds(retry.maxBackoffSeconds, DEFAULT_RETRY.maxBackoffMs),
      maxDoublings: retry.maxDoublings ?? DEFAULT_RETRY.maxDoublings,
      maxRetryDurationMs: seconds(retry.maxRetryDurationSeconds, DEFAULT_RETRY.maxRetryDurationMs),
    },
    maxConcurrentDispatches: spec.maxConcurrentDispatches ?? DEFAULT_SETTINGS.maxConcurrentDispatches,
    maxDispatchesPerSecond: spec.maxDispatchesPerSecond ?? DEFAULT_SETTINGS.maxDispatchesPerSecond,
  });
}

/** Throws a plain Error naming the first setting out of Cloud Tasks' accepted range. */
export function checkSettings(settings: QueueSettings): QueueSettings {
  const { retry } = settings;
  const problems: [boolean, string][] = [
    [Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= -1, 'maxAttempts must be an integer >= -1'],
    [retry.minBackoffMs >= 0, 'minBackoff must not be negative'],
    [retry.maxBackoffMs >= retry.minBackoffMs, 'maxBackoff must not be below minBackoff'],
    [Number.isInteger(retry.maxDoublings) && retry.maxDoublings >= 0, 'maxDoublings must be an integer >= 0'],
    [retry.maxRetryDurationMs >= 0, 'maxRetryDuration must not be negative'],
    [
      Number.isInteger(settings.maxConcurrentDispatches) &&
        settings.maxConcurrentDispatches >= 1 &&
        settings.maxConcurrentDispatches <= 5000,
      'maxConcurrentDispatches must be an integer in 1..5000',
    ],
    [
      settings.maxDispatchesPerSecond > 0 && settings.maxDispatchesPerSecond <= 500,
      'maxDispatchesPerSecond must be in (0, 500]',
    ],
  ];
  const failed = problems.find(([ok]) => !ok);
  if (failed !== undefined) throw new Error(failed[1]);
  return settings;
}

/** The subset of the Queue message this emulator reads. */
export interface QueueMessage {
  name?: string;
  rateLimits?: { maxDispatchesPerSecond?: number; maxConcurrentDispatches?: number } | null;
  retryConfig?: {
    maxAttempts?: number;
    maxRetryDuration?: ProtoSeconds | null;
    minBackoff?: ProtoSeconds | null;
    maxBackoff?: ProtoSeconds | null;
    maxDoublings?: number;
  } | null;
}

/**
 * Applies the fields of a Queue message to `base`; with `paths` (an update mask) only those fields.
 * Zero or absent values keep the base value, as Cloud Tasks treats them as "unset".
 */
export function applyQueueMessage(
  base: QueueSettings,
  message: QueueMessage,
  paths?: string[],
): QueueSettings {
  const wanted = (path: string): boolean =>
    paths === undefined || paths.length === 0 || paths.some((p) => p === path || path.startsWith(`${p}.`));
  const pick = <T>(path: string, value: T | undefined | null, current: T, isSet: (v: T) => boolean): T =>
    wanted(path) && value !== undefined && value !== null && isSet(value) ? value : current;
  const positive = (v: number): boolean => v !== 0;
  const rate = message.rateLimits ?? {};
  const retry = message.retryConfig ?? {};
  const duration = (path: string, value: ProtoSeconds | null | undefined, current: number): number =>
    pick(path, protoToMs(value), current, () => true);
  return checkSettings({
    maxConcurrentDispatches: pick(
      'rate_limits.max_concurrent_dispatches',
      rate.maxConcurrentDispatches,
      base.maxConcurrentDispatches,
      positive,
    ),
    maxDispatchesPerSecond: pick(
      'rate_limits.max_dispatches_per_second',
      rate.maxDispatchesPerSecond,
      base.maxDispatchesPerSecond,
      positive,
    ),
    retry: {
      maxAttempts: pick('retry_config.max_attempts', retry.maxAttempts, base.retry.maxAttempts, positive),
      minBackoffMs: duration('retry_config.min_backoff', retry.minBackoff, base.retry.minBackoffMs),
      maxBackoffMs: duration('retry_config.max_backoff', retry.maxBackoff, base.retry.maxBackoffMs),
      maxDoublings: pick('retry_config.max_doublings', retry.maxDoublings, base.retry.maxDoublings, positive),
      maxRetryDurationMs: duration(
        'retry_config.max_retry_duration',
        retry.maxRetryDuration,
        base.retry.maxRetryDurationMs,
      ),
    },
  });
}

/** The Queue message for a local queue. */
export function queueToMessage(
  name: string,
  settings: QueueSettings,
  state: QueueState,
): Record<string, unknown> {
  return {
    name,
    state,
    rateLimits: {
      maxDispatchesPerSecond: settings.maxDispatchesPerSecond,
      maxBurstSize: Math.max(1, Math.ceil(settings.maxDispatchesPerSecond)),
      maxConcurrentDispatches: settings.maxConcurrentDispatches,
    },
    retryConfig: {
      maxAttempts: settings.retry.maxAttempts,
      maxRetryDuration: msToProto(settings.retry.maxRetryDurationMs),
      minBackoff: msToProto(settings.retry.minBackoffMs),
      maxBackoff: msToProto(settings.retry.maxBackoffMs),
      maxDoublings: settings.retry.maxDoublings,
    },
  };
}
