/** The sweep: ledger payouts stuck in a working status with nobody on them go back on the retry queue (DESIGN.md §2, §3.2). */
import { enqueueAttempt } from '../attempt/schedule.js';
import { requireSettings } from '../config.js';
import { listStuckPayouts, type Payout } from '../db/index.js';
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
  const config = requireSettings(deps.config, ['retryQueue', 'retryPaymentUrl']);
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
