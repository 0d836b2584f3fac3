/** `PUT /failed-transactions/{unique_id}/status`: an operator's status change, only along the table (DESIGN.md §2, §7). */
import {
  canTransitionFailedTransaction,
  type FailedTransaction,
  type FailedTransactionStatus,
  getFailedTransaction,
  getPayout,
  listPayoutTransactions,
  markPayoutCancelled,
  type Payout,
  type PayoutTransaction,
} from '../db/index.js';
import type { RecoveryDeps } from './recoveryDeps.js';
import { Refusal } from './refusal.js';
import { moveStatus } from './retryFailure.js';
import { notFound } from './showFailure.js';

/** Statuses an operator may set here; retries go through the retry operation, which enqueues the task. */
export const OPERATOR_STATUSES = [
  'failed_pending_review',
  'failed_retryable',
  'failed_cancelled',
  'recovered',
] as const;
export type OperatorStatus = (typeof OPERATOR_STATUSES)[number];

/** Cancels a payout's pending transaction on chain (0-value self-transfer at its nonce); absent without a chain client. */
export type CancelOnChain = (payout: Payout, pending: PayoutTransaction[]) => Promise<{ minedHash: string }>;

export interface UpdateFailureStatusParams {
  uniqueId: string;
  status: OperatorStatus;
  actor: string;
  notes?: string;
  /** With `recovered`: the transaction that paid it, when the ledger does not know it. */
  recoveryTxHash?: string;
}

/** The database and clock; the chain canceller when a chain client is available. */
export type StatusDeps = Pick<RecoveryDeps, 'sql' | 'now'> & { cancelOnChain?: CancelOnChain };

const MAYBE_MINED = new Set(['signed', 'sent', 'dropped']);

/**
 * Changes a failure's status if FAILED_TRANSACTION_TRANSITIONS allows it (409 naming both statuses
 * otherwise, nothing changed). `failed_cancelled` also cancels the ledger row so no queued task pays it;
 * a transaction that may still be mined is cancelled on chain first, or the change is refused when no
 * chain client is given. `recovered` takes the ledger's confirmed hash, or the one given.
 */
export async function updateFailureStatus(
  deps: StatusDeps,
  params: UpdateFailureStatusParams,
): Promise<{ failure: FailedTransaction; previousStatus: FailedTransactionStatus; payout: Payout | null }> {
  const failure = await getFailedTransaction(deps.sql, { uniqueId: params.uniqueId });
  if (failure === null) throw notFound(params.uniqueId);
  const from = failure.status;
  if (!canTransitionFailedTransaction(from, params.status)) {
    throw new Refusal(
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
      throw new Refusal(
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

async function cancelPayout(deps: StatusDeps, payout: Payout): Promise<{ payout: Payout; note?: string }> {
  const id = payout.uniqueId;
  if (payout.status === 'cancelled') return { payout };
  if (payout.status === 'confirmed') {
    throw new Refusal(
      409,
      'already_paid',
      `payout ${id} is paid in ${payout.confirmedTxHash}; it cannot be cancelled`,
    );
  }
  if (
    payout.leaseOwner !== null &&
    payout.leaseExpiresAt !== null &&
    payout.leaseExpiresAt.getTime() > deps.now()
  ) {
    throw new Refusal(
      409,
      'payout_in_progress',
      `payout ${id} is being worked on right now; try again shortly`,
    );
  }
  const pending = (await listPayoutTransactions(deps.sql, { uniqueId: id })).filter((t) =>
    MAYBE_MINED.has(t.status),
  );
  let note: string | undefined;
  if (pending.length > 0) {
    if (deps.cancelOnChain === undefined) {
      throw new Refusal(
        409,
        'transaction_pending',
        `payout ${id} has a transaction that may still be mined and no chain client is available to cancel it`,
      );
    }
    const { minedHash } = await deps.cancelOnChain(payout, pending);
    note = `on-chain cancel: ${minedHash} mined at nonce ${pending[0]?.nonce}`;
    const after = await getPayout(deps.sql, { uniqueId: id });
    if (after?.status === 'confirmed') {
      throw new Refusal(
        409,
        'already_paid',
        `payout ${id} was mined before the cancel (${after.confirmedTxHash})`,
      );
    }
    if (after?.status === 'cancelled') return { payout: after, note };
  }
  return { payout: await markPayoutCancelled(deps.sql, { uniqueId: id }), ...(note ? { note } : {}) };
}
