/** The sweep: ledger payouts stuck in a working status with nobody on them go back on the retry queue (docs/architecture.md, "The flow" and "Invariants and where they are enforced"). */
import { enqueueAttempt, enqueueFailure } from '../attempt/schedule.js';
import { encodeRequestToken } from '../attempt/tokens.js';
import { listStuckPayouts, listUnrecordedFailures, type Payout } from '../db/index.js';
import { taskName } from '../tasks/taskName.js';
import type { RecoveryDeps } from './recoveryDeps.js';
import { requestFromPayout } from './retryRequest.js';

export interface SweptPayout {
  unique_id: string;
  status: Payout['status'];
  attempt: number;
  /** false: a task of this name was already queued by an earlier sweep of the same state. */
  created: boolean;
}

/**
 * Finds payouts not terminal, without a live lease and untouched for `stuckAfterSeconds` (a crash, a lost
 * task) and enqueues their own request at the current attempt, so retryPayment resumes them: a payout with
 * stored transactions is looked up on chain and never signed again with a new nonce. The task is named
 * after the payout's `updated_at`, so sweeping the same state twice enqueues once; any progress of the
 * payout gives the next sweep a new name.
 */
export async function sweepStuckPayouts(
  deps: RecoveryDeps,
  params: { limit: number },
): Promise<SweptPayout[]> {
  const config = deps.config;
  const stuck = await listStuckPayouts(deps.sql, {
    olderThanSeconds: config.stuckAfterSeconds,
    limit: params.limit,
  });
  const swept: SweptPayout[] = [];
  for (const payout of stuck) {
    // A payout left retry_scheduled lost the task of its next attempt; any other is resumed where it is.
    const next = payout.status === 'retry_scheduled' ? payout.attemptCount + 1 : payout.attemptCount;
    const attempt = Math.min(Math.max(next, 1), config.maxAttempts);
    const request = requestFromPayout(payout, { attempt, nowSeconds: Math.floor(deps.now() / 1000) });
    const task = await enqueueAttempt(deps, {
      request,
      name: taskName('sweep', `${payout.uniqueId}@${payout.updatedAt.getTime()}`, attempt),
    });
    swept.push({ unique_id: payout.uniqueId, status: payout.status, attempt, created: task.created });
  }
  return swept;
}

export interface RequeuedFailure {
  unique_id: string;
  error_code: string;
  /** false: a task of this name was already queued by an earlier sweep of the same state. */
  created: boolean;
}

/**
 * Failed ledger payouts with no failure record (its task lost, or refused until Cloud Tasks gave up) are
 * handed to recordFailure again, signed anew with the current key. The task is named after the payout's
 * `updated_at`, never the attempt cycle's name, which Cloud Tasks may still hold and would call a duplicate.
 */
export async function requeueUnrecordedFailures(
  deps: RecoveryDeps,
  params: { limit: number },
): Promise<RequeuedFailure[]> {
  const config = deps.config;
  const failed = await listUnrecordedFailures(deps.sql, {
    olderThanSeconds: config.stuckAfterSeconds,
    limit: params.limit,
  });
  const requeued: RequeuedFailure[] = [];
  for (const payout of failed) {
    const attempt = Math.min(Math.max(payout.attemptCount, 1), config.maxAttempts);
    const request = requestFromPayout(payout, { attempt, nowSeconds: Math.floor(deps.now() / 1000) });
    const errorCode = payout.lastErrorCode ?? 'UNKNOWN_ERROR';
    const task = await enqueueFailure(deps, {
      request,
      requestToken: encodeRequestToken(config, request, deps.now()),
      failure: { errorCode, errorMessage: payout.lastErrorMessage ?? '' },
      name: taskName('failure-sweep', `${payout.uniqueId}@${payout.updatedAt.getTime()}`, 0),
    });
    requeued.push({ unique_id: payout.uniqueId, error_code: errorCode, created: task.created });
  }
  return requeued;
}
