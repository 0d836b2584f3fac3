/** Status changes of the payout ledger, allowed only along PAYOUT_TRANSITIONS (docs/architecture.md, "Ledger states"). */
import type { Fragment } from 'postgres';
import { HostpayError } from '../errors.js';
import { inTransaction, type SqlClient } from './client.js';
import { numericParam, type Row } from './columns.js';
import { updateFailedTransactionStatus } from './failedTransactionStatus.js';
import { PAYOUT_STATUSES, type Payout, type PayoutStatus, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

const WORKING: readonly PayoutStatus[] = ['received', 'retry_scheduled', 'submitted', 'pending_confirmation'];

/**
 * The one table of allowed payout status changes. confirmed and cancelled are final; failed can only be
 * reopened (operator or automated recovery) or cancelled. Repeating a working status is allowed (a fee
 * bump is `submitted` again). A working payout is cancelled only through cancel_requested, which nothing
 * leaves but the chain's verdict: confirmed (the transfer won) or cancelled (nothing of it can pay).
 */
export const PAYOUT_TRANSITIONS: Readonly<Record<PayoutStatus, readonly PayoutStatus[]>> = {
  received: [...WORKING, 'cancel_requested', 'confirmed', 'failed'],
  retry_scheduled: [...WORKING, 'cancel_requested', 'confirmed', 'failed'],
  submitted: [...WORKING, 'cancel_requested', 'confirmed', 'failed'],
  pending_confirmation: [...WORKING, 'cancel_requested', 'confirmed', 'failed'],
  cancel_requested: ['cancel_requested', 'confirmed', 'cancelled'],
  confirmed: [],
  failed: ['received', 'cancelled'],
  cancelled: [],
};

/** Statuses in which the delivery stops working on the payout, so the lease is given up with the change. */
const RELEASES_LEASE: ReadonlySet<PayoutStatus> = new Set([
  'retry_scheduled',
  'pending_confirmation',
  'confirmed',
  'failed',
  'cancelled',
]);

export function canTransitionPayout(from: PayoutStatus, to: PayoutStatus): boolean {
  return PAYOUT_TRANSITIONS[from].includes(to);
}

interface Target {
  uniqueId: string;
  /** When given, the change is refused (LEASE_LOST) unless this delivery still holds an unexpired lease. */
  leaseOwner?: string;
}

export interface PayoutErrorParams extends Target {
  errorCode: string;
  errorMessage: string;
}

export interface PayoutConfirmedParams extends Target {
  txHash: string;
  blockNumber: number;
  blockHash: string;
  gasUsed: bigint;
}

/** A signed transaction of this payout was stored and broadcast. */
export function markPayoutSubmitted(sql: SqlClient, params: Target): Promise<Payout> {
  return transitionPayout(sql, params, 'submitted');
}

/**
 * Broadcast but not settled within the bound; a check is scheduled. Does not count an attempt. A payout whose
 * cancel was requested stays `cancel_requested` (only the chain's verdict moves it on); either way the
 * lease is given up.
 */
export function markPayoutPendingConfirmation(sql: SqlClient, params: Target): Promise<Payout> {
  return transitionPayout(sql, params, 'pending_confirmation', sql``, {
    also: 'cancel_requested',
    status: sql`CASE WHEN status = 'cancel_requested' THEN status ELSE 'pending_confirmation' END`,
  });
}

/** A transient error with attempts left; another attempt is scheduled. */
export function markPayoutRetryScheduled(sql: SqlClient, params: PayoutErrorParams): Promise<Payout> {
  return transitionPayout(sql, params, 'retry_scheduled', errorFields(sql, params));
}

/**
 * Mined and successful at the configured depth; final. The lease does not matter: the chain decided, and
 * confirming again with the same transaction answers the confirmed row. A
 * failure of this payout being retried becomes `recovered` with the hash in the same database transaction
 * (through retry_in_progress, as FAILED_TRANSACTION_TRANSITIONS requires), so no operator ever sees a paid
 * payout as failed; `recovered_by` keeps whoever asked for the retry.
 */
export function markPayoutConfirmed(sql: SqlClient, params: PayoutConfirmedParams): Promise<Payout> {
  return inTransaction(sql, async (tx) => {
    const confirmed = await transitionPayout(
      tx,
      params,
      'confirmed',
      tx`, confirmed_tx_hash = ${params.txHash.toLowerCase()},
        confirmed_block_number = ${params.blockNumber},
        confirmed_block_hash = ${params.blockHash.toLowerCase()},
        confirmed_gas_used = ${numericParam(params.gasUsed)}::numeric,
        confirmed_at = clock_timestamp()`,
    ).catch(async (error: unknown) => {
      // Another delivery saw the same receipt first: the same confirmation, not a conflict.
      const [row] = await tx<Row[]>`SELECT * FROM payouts WHERE unique_id = ${params.uniqueId}`;
      if (row?.status === 'confirmed' && row.confirmed_tx_hash === params.txHash.toLowerCase()) {
        return payoutFromRow(row);
      }
      throw error;
    });
    const uniqueId = params.uniqueId;
    await updateFailedTransactionStatus(tx, {
      uniqueId,
      to: 'retry_in_progress',
      expectedFrom: 'retry_scheduled',
    }).catch(refusedIsFine);
    await updateFailedTransactionStatus(tx, {
      uniqueId,
      to: 'recovered',
      expectedFrom: 'retry_in_progress',
      recoveryTxHash: params.txHash,
      adminNote: `${new Date().toISOString()} recovered: confirmed in ${params.txHash.toLowerCase()}`,
    }).catch(refusedIsFine);
    return confirmed;
  });
}

/** A failure in another status (or none) is not this confirmation's to change. */
function refusedIsFine(error: unknown): null {
  if (error instanceof HostpayError && error.code === 'STATUS_TRANSITION_REFUSED') return null;
  throw error;
}

/** A permanent error or attempts spent; the failure is handed to recordFailure. */
export function markPayoutFailed(sql: SqlClient, params: PayoutErrorParams): Promise<Payout> {
  return transitionPayout(sql, params, 'failed', errorFields(sql, params));
}

/** An operator asked for a cancel: recorded before any cancel is signed; the lease stays with its holder. */
export function markPayoutCancelRequested(sql: SqlClient, params: { uniqueId: string }): Promise<Payout> {
  return transitionPayout(sql, params, 'cancel_requested');
}

/** Cancelled: nothing of the payout can pay any more (its cancel won, or nothing was sent); final. */
export function markPayoutCancelled(sql: SqlClient, params: Target): Promise<Payout> {
  return transitionPayout(sql, params, 'cancelled');
}

/**
 * Gives a failed payout a new attempt cycle (an operator or automated retry): attempts and last error
 * reset, `cycle` + 1, and `first_attempt_at` set to the new cycle's, so every task name of the cycle is new.
 */
export function reopenPayout(
  sql: SqlClient,
  params: { uniqueId: string; firstAttemptAt: Date },
): Promise<Payout> {
  return transitionPayout(
    sql,
    params,
    'received',
    sql`, attempt_count = 0, last_error_code = NULL, last_error_message = NULL, cycle = cycle + 1,
      first_attempt_at = ${params.firstAttemptAt}`,
  );
}

function errorFields(sql: SqlClient, params: PayoutErrorParams): Fragment {
  return sql`, last_error_code = ${params.errorCode}, last_error_message = ${params.errorMessage}`;
}

/**
 * `keep`: a status that, where it stands, is kept instead of `to` (its own repeat is in the table) by the
 * `status` expression; the lease is still given up as for `to`.
 */
async function transitionPayout(
  sql: SqlClient,
  params: Target,
  to: PayoutStatus,
  extra: Fragment = sql``,
  keep?: { also: PayoutStatus; status: Fragment },
): Promise<Payout> {
  const from = PAYOUT_STATUSES.filter(
    (status) => canTransitionPayout(status, to) || (keep !== undefined && status === keep.also),
  );
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      UPDATE payouts
      SET status = ${keep ? keep.status : to}, updated_at = clock_timestamp() ${extra}
        ${RELEASES_LEASE.has(to) ? sql`, lease_owner = NULL, lease_expires_at = NULL` : sql``}
      WHERE unique_id = ${params.uniqueId} AND status IN ${sql(from)}
        ${
          params.leaseOwner === undefined
            ? sql``
            : sql`AND lease_owner = ${params.leaseOwner} AND lease_expires_at > clock_timestamp()`
        }
      RETURNING *`;
    if (row) return payoutFromRow(row);
    const [current] = await sql<Row[]>`
      SELECT status, (lease_owner = ${params.leaseOwner ?? null} AND lease_expires_at > clock_timestamp()) AS held
      FROM payouts WHERE unique_id = ${params.uniqueId}`;
    const status = current?.status as PayoutStatus | undefined;
    // A delivery that no longer holds the payout is told so whatever became of it meanwhile.
    const lost = params.leaseOwner !== undefined && current?.held !== true;
    const reason = !current
      ? 'not_found'
      : lost
        ? 'lease_lost'
        : from.includes(status!)
          ? 'lease_lost'
          : 'not_allowed';
    if (reason === 'lease_lost') {
      throw new HostpayError(
        'LEASE_LOST',
        `payout ${params.uniqueId}: lease no longer held, not moved to ${to}`,
        {
          details: { uniqueId: params.uniqueId, from: status ?? null, to, reason },
        },
      );
    }
    throw new HostpayError(
      'STATUS_TRANSITION_REFUSED',
      reason === 'not_found'
        ? `payout ${params.uniqueId} does not exist`
        : `payout ${params.uniqueId} cannot change from ${status} to ${to}`,
      { details: { uniqueId: params.uniqueId, from: status ?? null, to, reason } },
    );
  });
}
