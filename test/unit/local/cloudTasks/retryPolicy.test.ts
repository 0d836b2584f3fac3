import assert from 'node:assert/strict';
import { DEFAULT_RETRY, retriesExhausted, retryDelayMs } from '../../../../local/cloudTasks/retryPolicy.js';

describe('local Cloud Tasks retry policy', () => {
  it('doubles maxDoublings times, then grows linearly, capped at maxBackoff (the documented example)', () => {
    // Cloud Tasks docs: min 10 s, max 300 s, 3 doublings -> 10, 20, 40, 80, 160, 240, 300, 300.
    const retry = { ...DEFAULT_RETRY, minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 };
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((failures) => retryDelayMs(retry, failures) / 1000);
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 240, 300, 300]);
  });

  it('keeps minBackoff when maxDoublings is 0', () => {
    const retry = { ...DEFAULT_RETRY, minBackoffMs: 100, maxBackoffMs: 10_000, maxDoublings: 0 };
    assert.deepEqual(
      [1, 2, 3].map((failures) => retryDelayMs(retry, failures)),
      [100, 200, 300],
    );
  });

  const cases: [string, Partial<typeof DEFAULT_RETRY>, number, number, boolean][] = [
    ['attempts left', { maxAttempts: 3 }, 2, 0, false],
    ['maxAttempts reached', { maxAttempts: 3 }, 3, 0, true],
    ['unlimited attempts, no duration', { maxAttempts: -1 }, 500, 0, false],
    ['attempts reached, duration not yet', { maxAttempts: 2, maxRetryDurationMs: 1000 }, 2, 500, false],
    ['attempts and duration reached', { maxAttempts: 2, maxRetryDurationMs: 1000 }, 2, 1000, true],
    ['duration reached, attempts not yet', { maxAttempts: 5, maxRetryDurationMs: 1000 }, 2, 5000, false],
    ['unlimited attempts end at the duration', { maxAttempts: -1, maxRetryDurationMs: 1000 }, 9, 1000, true],
  ];
  for (const [label, overrides, dispatchCount, elapsedMs, expected] of cases) {
    it(`retriesExhausted: ${label} -> ${expected}`, () => {
      const retry = { ...DEFAULT_RETRY, ...overrides };
      assert.equal(
        retriesExhausted(retry, { dispatchCount, firstAttemptMs: 1000, nowMs: 1000 + elapsedMs }),
        expected,
      );
    });
  }
});
