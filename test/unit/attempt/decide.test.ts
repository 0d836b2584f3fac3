import assert from 'node:assert/strict';
import {
  claimVerdict,
  deliveryVerdict,
  endAfterError,
  retriesAfterError,
  settledAnswer,
} from '../../../shared/attempt/decide.js';
import { PAYOUT_STATUSES } from '../../../shared/db/index.js';

describe('attempt decisions', () => {
  it('a delivery works only within the attempt bound and not behind the ledger', () => {
    const cases: [number, number, number | undefined, string][] = [
      [1, 3, undefined, 'go'],
      [3, 3, undefined, 'go'],
      [4, 3, undefined, 'above_max'],
      [4, 3, 1, 'above_max'],
      [2, 3, 2, 'go'],
      [3, 3, 2, 'go'],
      [1, 3, 2, 'stale'],
    ];
    for (const [attempt, maxAttempts, ledgerAttempt, expected] of cases) {
      const params = { attempt, maxAttempts, ...(ledgerAttempt === undefined ? {} : { ledgerAttempt }) };
      assert.equal(deliveryVerdict(params), expected, JSON.stringify(params));
    }
  });

  it('a claim: the owner works, a mismatch is a conflict, a leased row is in progress, the rest is settled', () => {
    assert.equal(claimVerdict({ outcome: 'created', owned: true }), 'work');
    assert.equal(claimVerdict({ outcome: 'acquired', owned: true }), 'work');
    assert.equal(claimVerdict({ outcome: 'mismatch', owned: false }), 'conflict');
    assert.equal(claimVerdict({ outcome: 'leased', owned: false }), 'in_progress');
    for (const outcome of ['confirmed', 'failed', 'cancelled'] as const)
      assert.equal(claimVerdict({ outcome, owned: false }), 'settled');
  });

  it('answers a settled payout from its status: only confirmed, failed and cancelled have their own answer', () => {
    const answers = Object.fromEntries(PAYOUT_STATUSES.map((status) => [status, settledAnswer(status)]));
    assert.deepEqual(answers, {
      received: 'skipped',
      submitted: 'skipped',
      pending_confirmation: 'skipped',
      retry_scheduled: 'skipped',
      cancel_requested: 'skipped',
      confirmed: 'already_completed',
      failed: 'failed',
      cancelled: 'cancelled',
    });
  });

  it('retries only a transient error with attempts left and no cancel asked', () => {
    const table: [boolean, number, boolean, boolean][] = [
      // retryable, attempt (of 3), cancelRequested, retries
      [true, 1, false, true],
      [true, 2, false, true],
      [true, 3, false, false],
      [false, 1, false, false],
      [true, 1, true, false],
      [false, 3, true, false],
    ];
    for (const [retryable, attempt, cancelRequested, expected] of table) {
      assert.equal(
        retriesAfterError({ retryable, attempt, maxAttempts: 3, cancelRequested }),
        expected,
        JSON.stringify({ retryable, attempt, cancelRequested }),
      );
    }
  });

  it('ends an error without retry: a check while anything may still pay, else cancelled when asked, else failed', () => {
    assert.equal(endAfterError({ mayStillPay: true, cancelRequested: false }), 'check');
    assert.equal(endAfterError({ mayStillPay: true, cancelRequested: true }), 'check');
    assert.equal(endAfterError({ mayStillPay: false, cancelRequested: true }), 'cancelled');
    assert.equal(endAfterError({ mayStillPay: false, cancelRequested: false }), 'failed');
  });
});
