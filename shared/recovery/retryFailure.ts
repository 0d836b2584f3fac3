/** `POST /failed-transactions/{unique_id}/retry` and the automated retry: a new attempt cycle (docs/architecture.md, "The flow" and "Invariants and where they are enforced"). */

import { cycleKey, enqueueAttempt } from '../attempt/schedule.js';
import {
  type FailedTransaction,
  type FailedTransactionStatus,
  getFailedTransaction,
  getPayout,
  listPayoutTransactions,
  markPayoutFailed,
  type Payout,
  type PayoutTransaction,
  reopenPayout,
  updateFailedTransactionStatus,
} from '../db/index.js';
import { ERROR_CODES, HostpayError, isErrorCode } from '../errors.js';
import { RequestError } from '../http/requestError.js';
import { taskName } from '../tasks/taskName.js';
import type { RecoveryDeps } from './recoveryDeps.js';
import { requestFromFailure } from './retryRequest.js';

export interface RetryFailureParams {
  uniqueId: string;
  /** Who asked: an operator's e-mail, or `recoverPayments`. Recorded in `recovered_by` and the notes. */
  actor: string;
  /** Retries a failure whose code is not retryable (e.g. INSUFFICIENT_FUNDS after the wallet was funded). */
  force?: boolean;
  notes?: string;
  /** Only retry if the failure is still in this status (the recovery job's compare-and-set). */
  expectedStatus?: FailedTransactionStatus;
}

export interface RetryFailureResult {
  failure: FailedTransaction;
  /** Full Cloud Tasks name of the retry task. */
  taskName: string;
  /** Unix seconds: the new cycle's `first_attempt_at`. */
  firstAttemptAt: number;
  reopened: boolean;
}

// A stored transaction in one of these states may still be mined, so no new cycle may start over it.
const MAYBE_MINED = new Set(['signed', 'sent', 'dropped']);

/** Whether `code` names a failure worth trying again without an operator saying so. */
export function isRetryableCode(code: string): boolean {
  return isErrorCode(code) && ERROR_CODES[code].retryable && ERROR_CODES[code].category === 'transient';
}

/**
 * Starts a new attempt cycle for a recorded failure: checks it may be retried, moves it to
 * `retry_scheduled` (recording who and why), reopens its ledger row (failed → received, attempts reset)
 * and enqueues attempt 1 with a new `first_attempt_at` on the retry queue. Refusals are RequestErrors:
 * 404 unknown id; 409 not retryable without force, a transaction that may still be mined, already paid,
 * payout still being worked on, or a status the table does not allow. If the task cannot be enqueued the
 * status and the ledger are put back and the QUEUE_UNAVAILABLE error propagates.
 */
export async function retryFailure(
  deps: Pick<RecoveryDeps, 'sql' | 'tasks' | 'config' | 'now'>,
  params: RetryFailureParams,
): Promise<RetryFailureResult> {
  const failure = await getFailedTransaction(deps.sql, { uniqueId: params.uniqueId });
  if (failure === null) throw failureNotFound(params.uniqueId);
  if (!params.force && !isRetryableCode(failure.errorCode)) {
    const description = isErrorCode(failure.errorCode) ? ERROR_CODES[failure.errorCode].description : '';
    throw new RequestError(
      409,
      'not_retryable',
      `${failure.errorCode} is not a transient error (${description || failure.errorMessage}); ` +
        'fix the cause, then retry with force',
    );
  }
  const payout = await getPayout(deps.sql, { uniqueId: failure.uniqueId });
  if (payout)
    refuseUnsafePayout(payout, await listPayoutTransactions(deps.sql, { uniqueId: payout.uniqueId }));

  const nowSeconds = Math.floor(deps.now() / 1000);
  // Every task name of a cycle carries its first_attempt_at: a new cycle's must differ from the last one's
  // even within the same second, or Cloud Tasks would take its tasks for repeats and drop them.
  const previousStart = payout?.firstAttemptAt ? Math.floor(payout.firstAttemptAt.getTime() / 1000) : 0;
  const cycleStart = Math.max(nowSeconds, previousStart + 1);
  let request: ReturnType<typeof requestFromFailure>;
  try {
    request = { ...requestFromFailure(failure, nowSeconds), first_attempt_at: cycleStart };
  } catch (error) {
    throw new RequestError(409, 'not_retryable', (error as Error).message);
  }
  const from = failure.status;
  const note = [`${new Date(deps.now()).toISOString()} retry requested by ${params.actor}`, params.notes]
    .filter(Boolean)
    .join(': ');
  const scheduled = await moveStatus(deps, {
    uniqueId: failure.uniqueId,
    to: 'retry_scheduled',
    expectedFrom: params.expectedStatus ?? from,
    adminNote: note,
    recoveredBy: params.actor,
  });
  const reopened = payout?.status === 'failed';
  if (reopened) {
    await reopenPayout(deps.sql, { uniqueId: failure.uniqueId, firstAttemptAt: new Date(cycleStart * 1000) });
  }

  const name = taskName('recovery', cycleKey(request), 1);
  try {
    const task = await enqueueAttempt(deps, { request, name });
    return { failure: scheduled, taskName: task.taskName, firstAttemptAt: cycleStart, reopened };
  } catch (error) {
    await putBack(deps, { failure, payout: reopened ? payout : null, from });
    throw error;
  }
}

function refuseUnsafePayout(payout: Payout, transactions: PayoutTransaction[]): void {
  const id = payout.uniqueId;
  const paid = transactions.find((t) => t.status === 'mined' && t.receiptStatus === 1);
  if (payout.status === 'confirmed' || paid) {
    const hash = payout.confirmedTxHash ?? paid?.hash;
    throw new RequestError(409, 'already_paid', `payout ${id} is already paid in ${hash}; mark it recovered`);
  }
  const pending = transactions.filter((t) => MAYBE_MINED.has(t.status));
  if (pending.length > 0) {
    throw new RequestError(
      409,
      'transaction_pending',
      `payout ${id} has transaction ${pending.map((t) => `${t.hash} (nonce ${t.nonce}, ${t.status})`).join(', ')} ` +
        'that may still be mined; wait for it or cancel it first',
    );
  }
  if (payout.status !== 'failed') {
    throw new RequestError(
      409,
      'payout_not_failed',
      `payout ${id} is ${payout.status}, not failed; nothing to retry`,
    );
  }
}

/** The status change, with a refused transition as a 409 naming both statuses. */
export async function moveStatus(
  deps: Pick<RecoveryDeps, 'sql'>,
  params: Parameters<typeof updateFailedTransactionStatus>[1],
): Promise<FailedTransaction> {
  try {
    const moved = await updateFailedTransactionStatus(deps.sql, params);
    if (moved === null) throw failureNotFound(params.uniqueId);
    return moved;
  } catch (error) {
    if (error instanceof HostpayError && error.code === 'STATUS_TRANSITION_REFUSED') {
      const from = String(error.details.from);
      throw new RequestError(409, 'transition_refused', error.message, { from, to: params.to });
    }
    throw error;
  }
}

/** Undoes a retry whose task could not be created, so the failure is not left scheduled with no task. */
async function putBack(
  deps: Pick<RecoveryDeps, 'sql' | 'now'>,
  params: { failure: FailedTransaction; payout: Payout | null; from: FailedTransactionStatus },
): Promise<void> {
  const back = params.from === 'failed_retryable' ? 'failed_retryable' : 'failed_pending_review';
  await Promise.allSettled([
    updateFailedTransactionStatus(deps.sql, {
      uniqueId: params.failure.uniqueId,
      to: back,
      expectedFrom: 'retry_scheduled',
      adminNote: `${new Date(deps.now()).toISOString()} retry not scheduled: the retry queue was unavailable`,
    }),
    params.payout &&
      markPayoutFailed(deps.sql, {
        uniqueId: params.payout.uniqueId,
        errorCode: params.payout.lastErrorCode ?? params.failure.errorCode,
        errorMessage: params.payout.lastErrorMessage ?? params.failure.errorMessage,
      }),
  ]);
}

/** The answer for a unique_id with no failed_transactions row. */
export function failureNotFound(uniqueId: string): RequestError {
  return new RequestError(404, 'not_found', `no failed transaction has unique_id ${uniqueId}`);
}
