/** Status changes of `failed_transactions`, validated against one table (docs/architecture.md, "Database"). */
import { HostpayError } from '../errors.js';
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import {
  FAILED_TRANSACTION_STATUSES,
  type FailedTransaction,
  type FailedTransactionStatus,
  failedTransactionFromRow,
} from './failedTransactionRow.js';
import { withDatabaseErrors } from './sqlState.js';

/**
 * The one table of allowed changes. An operator or the recovery job schedules a retry of a failure under
 * review or marked retryable; the retry function takes it (retry_in_progress) and ends it recovered or
 * failed again; a scheduled retry whose task was lost can be put back. failed_cancelled and recovered are
 * final. `recovered` may also be set directly when an operator proves the payout arrived.
 */
export const FAILED_TRANSACTION_TRANSITIONS: Readonly<
  Record<FailedTransactionStatus, readonly FailedTransactionStatus[]>
> = {
  failed_pending_review: ['failed_retryable', 'retry_scheduled', 'failed_cancelled', 'recovered'],
  failed_retryable: ['failed_pending_review', 'retry_scheduled', 'failed_cancelled', 'recovered'],
  retry_scheduled: ['retry_in_progress', 'failed_pending_review', 'failed_retryable', 'failed_cancelled'],
  retry_in_progress: ['recovered', 'failed_pending_review', 'failed_retryable'],
  failed_cancelled: [],
  recovered: [],
};

export function canTransitionFailedTransaction(
  from: FailedTransactionStatus,
  to: FailedTransactionStatus,
): boolean {
  return FAILED_TRANSACTION_TRANSITIONS[from].includes(to);
}

/** The statuses from which `to` may be reached. */
export function failedTransactionSources(to: FailedTransactionStatus): FailedTransactionStatus[] {
  return FAILED_TRANSACTION_STATUSES.filter((from) => canTransitionFailedTransaction(from, to));
}

export interface UpdateFailedTransactionStatusParams {
  uniqueId: string;
  to: FailedTransactionStatus;
  /** When given, the change happens only if the row is still in this status (compare-and-set). */
  expectedFrom?: FailedTransactionStatus;
  /** Appended to `admin_notes` on its own line. */
  adminNote?: string;
  /** Only with `to: 'recovered'`. */
  recoveryTxHash?: string;
  recoveredBy?: string;
}

/**
 * Moves a failure to `to` if FAILED_TRANSACTION_TRANSITIONS allows it from its current status, in one
 * atomic UPDATE (two concurrent callers cannot both make the same change). `retry_scheduled` counts a
 * retry and stamps `last_retry_attempt`; `recovered` stamps `recovered_at`. Returns null when no row has
 * this `unique_id`; throws STATUS_TRANSITION_REFUSED, naming both statuses, when the change is not allowed.
 */
export function updateFailedTransactionStatus(
  sql: SqlClient,
  params: UpdateFailedTransactionStatusParams,
): Promise<FailedTransaction | null> {
  const { to } = params;
  const sources = failedTransactionSources(to).filter(
    (from) => params.expectedFrom === undefined || from === params.expectedFrom,
  );
  const note = params.adminNote ?? null;
  return withDatabaseErrors(async () => {
    const [row] =
      sources.length === 0
        ? []
        : await sql<Row[]>`
          UPDATE failed_transactions
          SET status = ${to},
            updated_at = clock_timestamp(),
            retry_count = retry_count + ${to === 'retry_scheduled' ? 1 : 0},
            last_retry_attempt = ${to === 'retry_scheduled' ? sql`clock_timestamp()` : sql`last_retry_attempt`},
            recovered_at = ${to === 'recovered' ? sql`coalesce(recovered_at, clock_timestamp())` : sql`recovered_at`},
            recovery_tx_hash = coalesce(${params.recoveryTxHash?.toLowerCase() ?? null}, recovery_tx_hash),
            recovered_by = coalesce(${params.recoveredBy ?? null}, recovered_by),
            admin_notes = CASE
              WHEN ${note}::text IS NULL THEN admin_notes
              WHEN admin_notes IS NULL OR admin_notes = '' THEN ${note}::text
              ELSE admin_notes || E'\n' || ${note}::text
            END
          WHERE unique_id = ${params.uniqueId} AND status IN ${sql(sources)}
          RETURNING *`;
    if (row) return failedTransactionFromRow(row);
    const [current] = await sql<
      Row[]
    >`SELECT status FROM failed_transactions WHERE unique_id = ${params.uniqueId}`;
    if (!current) return null;
    const from = current.status as FailedTransactionStatus;
    const reason =
      params.expectedFrom !== undefined && from !== params.expectedFrom ? 'status_changed' : 'not_allowed';
    throw new HostpayError(
      'STATUS_TRANSITION_REFUSED',
      reason === 'not_allowed'
        ? `failed transaction ${params.uniqueId} cannot change from ${from} to ${to}`
        : `failed transaction ${params.uniqueId} is ${from}, not ${params.expectedFrom}; not moved to ${to}`,
      { details: { uniqueId: params.uniqueId, from, to, reason } },
    );
  });
}

/** Marks a failure recovered by a later transaction (docs/architecture.md, "Database"); allowed by the same table. */
export function markRecovered(
  sql: SqlClient,
  params: { uniqueId: string; recoveryTxHash: string; recoveredBy: string; adminNote?: string },
): Promise<FailedTransaction | null> {
  return updateFailedTransactionStatus(sql, { ...params, to: 'recovered' });
}
