/** `PUT /failed-transactions/{unique_id}/status`: an operator's status change, only along the table (docs/architecture.md, "The flow" and "Database"). */
import {
  canTransitionFailedTransaction,
  type FailedTransaction,
  type FailedTransactionStatus,
  getFailedTransaction,
  getPayout,
  markPayoutCancelled,
  markPayoutCancelRequested,
  type Payout,
} from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import type { RecoveryDeps } from '../recovery/recoveryDeps.js';
import { failureNotFound, moveStatus } from '../recovery/retryFailure.js';

/** Statuses an operator may set here; retries go through the retry operation, which enqueues the task. */
export const OPERATOR_STATUSES = [
  'failed_pending_review',
  'failed_retryable',
  'failed_cancelled',
  'recovered',
] as const;
export type OperatorStatus = (typeof OPERATOR_STATUSES)[number];

/**
 * Carries out a recorded cancel now, under a lease of its own, as any delivery would (absent without a chain
 * client): `cancelled` (nothing of the payout can pay any more), `confirmed` (the transfer won; the upstream
 * is told), `pending` (neither settled yet; a check task will finish it), `in_progress` (a delivery holds
 * the payout and will honour the cancel itself).
 */
export type SettleCancel = (
  payout: Payout,
) => Promise<{ outcome: 'cancelled' | 'confirmed' | 'pending' | 'in_progress'; txHash?: string }>;

export interface UpdateFailureStatusParams {
  uniqueId: string;
  status: OperatorStatus;
  actor: string;
  notes?: string;
  /** With `recovered`: the transaction that paid it, when the ledger does not know it. */
  recoveryTxHash?: string;
}

/** The database and clock; the cancel's executor when a chain client is available. */
export type StatusDeps = Pick<RecoveryDeps, 'sql' | 'now'> & { settleCancel?: SettleCancel };

/**
 * Changes a failure's status if FAILED_TRANSACTION_TRANSITIONS allows it (409 naming both statuses
 * otherwise, nothing changed). `failed_cancelled` first cancels the ledger row (`cancelPayout`); until the
 * payout is cancelled the failure keeps its status and the answer is 409 `cancel_pending`, to be asked
 * again. `recovered` takes the ledger's confirmed hash, or the one given.
 */
export async function updateFailureStatus(
  deps: StatusDeps,
  params: UpdateFailureStatusParams,
): Promise<{ failure: FailedTransaction; previousStatus: FailedTransactionStatus; payout: Payout | null }> {
  const failure = await getFailedTransaction(deps.sql, { uniqueId: params.uniqueId });
  if (failure === null) throw failureNotFound(params.uniqueId);
  const from = failure.status;
  if (!canTransitionFailedTransaction(from, params.status)) {
    throw new RequestError(
      409,
      'transition_refused',
      `failed transaction ${params.uniqueId} cannot change from ${from} to ${params.status}`,
      { from, to: params.status },
    );
  }
  let payout = await getPayout(deps.sql, { uniqueId: params.uniqueId });
  let recoveryTxHash = params.recoveryTxHash;
  let cancelNote: string | undefined;
  if (params.status === 'failed_cancelled' && payout) {
    const cancelled = await cancelPayout(deps, payout);
    payout = cancelled.payout;
    cancelNote = cancelled.note;
  }
  if (params.status === 'recovered') {
    recoveryTxHash = payout?.confirmedTxHash ?? recoveryTxHash;
    if (recoveryTxHash === undefined) {
      throw new RequestError(
        409,
        'recovery_unproven',
        `payout ${params.uniqueId} is not confirmed in the ledger; give recovery_tx_hash of the transaction that paid it`,
      );
    }
  }
  const stamp = `${new Date(deps.now()).toISOString()} ${from} -> ${params.status} by ${params.actor}`;
  const note = [stamp, cancelNote, params.notes].filter(Boolean).join(': ');
  const moved = await moveStatus(deps, {
    uniqueId: params.uniqueId,
    to: params.status,
    expectedFrom: from,
    adminNote: note,
    recoveredBy: params.actor,
    ...(recoveryTxHash === undefined ? {} : { recoveryTxHash }),
  });
  return { failure: moved, previousStatus: from, payout };
}

/**
 * An operator's cancel (docs/architecture.md, "Cancels"): a failed payout, which nothing can pay any more,
 * is cancelled at once; a working one is marked `cancel_requested` before anything is signed, so no path
 * signs a transfer for it again, and the cancel is carried out now when a chain client is at hand.
 * Refusals: 409 already_paid (the transfer was mined first), 409 cancel_pending (recorded, not yet settled).
 */
async function cancelPayout(deps: StatusDeps, payout: Payout): Promise<{ payout: Payout; note?: string }> {
  const id = payout.uniqueId;
  if (payout.status === 'cancelled') return { payout };
  if (payout.status === 'confirmed') throw alreadyPaid(payout);
  if (payout.status === 'failed') return { payout: await markPayoutCancelled(deps.sql, { uniqueId: id }) };
  const requested =
    payout.status === 'cancel_requested'
      ? payout
      : await markPayoutCancelRequested(deps.sql, { uniqueId: id });
  const settled = deps.settleCancel
    ? await deps.settleCancel(requested)
    : { outcome: 'in_progress' as const };
  const after = (await getPayout(deps.sql, { uniqueId: id })) ?? requested;
  if (after.status === 'confirmed') throw alreadyPaid(after);
  if (after.status === 'cancelled') {
    const hash = settled.txHash;
    return { payout: after, ...(hash ? { note: `on-chain cancel: ${hash} holds the nonce` } : {}) };
  }
  throw new RequestError(
    409,
    'cancel_pending',
    settled.outcome === 'in_progress'
      ? `the cancel of ${id} is recorded; the delivery working on it will carry it out; ask again to see it settled`
      : `the cancel of ${id} is recorded and sent, but neither it nor the transfer is settled yet; ask again`,
  );
}

function alreadyPaid(payout: Payout): RequestError {
  return new RequestError(
    409,
    'already_paid',
    `payout ${payout.uniqueId} is paid in ${payout.confirmedTxHash}; it cannot be cancelled`,
  );
}
