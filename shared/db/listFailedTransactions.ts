/** Reads of `failed_transactions` for operators and the recovery job (docs/architecture.md, "The flow" and "Database"). */
import type { SqlClient } from './client.js';
import { type Row, toNumber } from './columns.js';
import {
  type FailedTransaction,
  type FailedTransactionStatus,
  failedTransactionFromRow,
} from './failedTransactionRow.js';
import { withDatabaseErrors } from './sqlState.js';

export interface ListFailedTransactionsParams {
  status?: FailedTransactionStatus | readonly FailedTransactionStatus[];
  errorCode?: string;
  context?: string;
  /** created_at >= since */
  since?: Date;
  /** created_at < until */
  until?: Date;
  /** Default 50, at most 500. */
  limit?: number;
  offset?: number;
}

export const MAX_LIST_LIMIT = 500;

/** The failure recorded for `unique_id`, or null. */
export function getFailedTransaction(
  sql: SqlClient,
  params: { uniqueId: string },
): Promise<FailedTransaction | null> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`SELECT * FROM failed_transactions WHERE unique_id = ${params.uniqueId}`;
    return row ? failedTransactionFromRow(row) : null;
  });
}

/** A page of failures matching every given filter, newest first, with the total number that match. */
export function listFailedTransactions(
  sql: SqlClient,
  params: ListFailedTransactionsParams = {},
): Promise<{ items: FailedTransaction[]; total: number }> {
  const limit = Math.min(Math.max(Math.trunc(params.limit ?? 50), 1), MAX_LIST_LIMIT);
  const offset = Math.max(Math.trunc(params.offset ?? 0), 0);
  const statuses = params.status === undefined ? [] : [params.status].flat();
  const where = sql`
    WHERE true
    ${statuses.length > 0 ? sql`AND status IN ${sql(statuses)}` : sql``}
    ${params.errorCode === undefined ? sql`` : sql`AND error_code = ${params.errorCode}`}
    ${params.context === undefined ? sql`` : sql`AND context = ${params.context}`}
    ${params.since === undefined ? sql`` : sql`AND created_at >= ${params.since}`}
    ${params.until === undefined ? sql`` : sql`AND created_at < ${params.until}`}`;
  return withDatabaseErrors(async () => {
    const [rows, counted] = await Promise.all([
      sql<Row[]>`SELECT * FROM failed_transactions ${where} ORDER BY created_at DESC, id DESC
        LIMIT ${limit} OFFSET ${offset}`,
      sql<Row[]>`SELECT count(*) AS total FROM failed_transactions ${where}`,
    ]);
    return { items: rows.map(failedTransactionFromRow), total: toNumber(counted[0]?.total ?? 0) };
  });
}

/**
 * Failures marked retryable whose cooldown (since the last retry, or since recorded) has passed and whose automated retries are not spent, oldest
 * first: the recovery job's work list (docs/architecture.md, "The flow" RECOVERY_* settings).
 */
export function listRetryableFailures(
  sql: SqlClient,
  params: { limit: number; cooldownSeconds: number; maxRetries: number },
): Promise<FailedTransaction[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT * FROM failed_transactions
      WHERE status = 'failed_retryable'
        AND retry_count < ${params.maxRetries}
        AND coalesce(last_retry_attempt, created_at)
          <= clock_timestamp() - make_interval(secs => ${params.cooldownSeconds})
      ORDER BY created_at, id
      LIMIT ${params.limit}`;
    return rows.map(failedTransactionFromRow);
  });
}
