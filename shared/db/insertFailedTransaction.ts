/** Records a final failure in `failed_transactions`, idempotently (docs/architecture.md, "Invariants and where they are enforced" and "Database"). */
import type postgres from 'postgres';
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import {
  type FailedTransaction,
  type FailedTransactionStatus,
  failedTransactionFromRow,
} from './failedTransactionRow.js';
import { failedTransactionSources } from './failedTransactionStatus.js';
import { withDatabaseErrors } from './sqlState.js';

export interface FailedTransactionParams {
  uniqueId: string;
  cnApiId: string;
  fromCurrency: string;
  fromNetwork: string;
  /** The requested decimal amount; stored as NULL (and kept in details) when it does not fit NUMERIC(38,18). */
  fromAmount: string | null;
  payinAddress: string;
  context: string;
  errorCode: string;
  errorMessage: string;
  lastErrorDetails?: Record<string, unknown> | null;
  attemptCount: number;
  lastAttemptAt?: Date;
  /** failed_retryable lets the recovery job retry it; default failed_pending_review. */
  status?: Extract<FailedTransactionStatus, 'failed_pending_review' | 'failed_retryable'>;
}

export interface InsertFailedTransactionResult {
  /** inserted: first record · updated: a retry of this failure failed again · unchanged: a repeat. */
  outcome: 'inserted' | 'updated' | 'unchanged';
  row: FailedTransaction;
}

const MAX_ERROR_MESSAGE_CHARS = 2000;
// NUMERIC(38,18): at most 20 integer digits and 18 fraction digits, stored without rounding.
const FITS_AMOUNT = /^-?\d{1,20}(\.\d{1,18})?$/;

/**
 * Inserts the failure once per `unique_id`. A repeated delivery of the same failure changes nothing; a
 * failure of a retry (row in retry_scheduled or retry_in_progress) replaces the error fields and moves the
 * row back to `status`, as FAILED_TRANSACTION_TRANSITIONS allows. Text is cleaned of NUL characters, which
 * PostgreSQL cannot store, so a hostile token field cannot make the record fail.
 */
export function insertFailedTransaction(
  sql: SqlClient,
  params: FailedTransactionParams,
): Promise<InsertFailedTransactionResult> {
  const status = params.status ?? 'failed_pending_review';
  const fits = params.fromAmount !== null && FITS_AMOUNT.test(params.fromAmount);
  const details: Record<string, unknown> | null =
    params.fromAmount !== null && !fits
      ? { ...params.lastErrorDetails, requested_from_amount: params.fromAmount }
      : (params.lastErrorDetails ?? null);
  const retrying = failedTransactionSources(status).filter(
    (from) => from === 'retry_scheduled' || from === 'retry_in_progress',
  );
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      INSERT INTO failed_transactions AS f (
        unique_id, cn_api_id, from_currency, from_network, from_amount, payin_address, context,
        error_code, error_message, last_error_details, attempt_count, last_attempt_timestamp, status
      ) VALUES (
        ${clean(params.uniqueId)}, ${clean(params.cnApiId)}, ${clean(params.fromCurrency)},
        ${clean(params.fromNetwork)}, ${fits ? params.fromAmount : null}::numeric, ${clean(params.payinAddress)},
        ${clean(params.context)}, ${clean(params.errorCode)},
        ${clean(params.errorMessage).slice(0, MAX_ERROR_MESSAGE_CHARS)},
        ${details === null ? null : sql.json(cleanJson(details) as postgres.JSONValue)}, ${params.attemptCount},
        ${params.lastAttemptAt ?? sql`clock_timestamp()`}, ${status}
      )
      ON CONFLICT (unique_id) DO UPDATE SET
        error_code = excluded.error_code,
        error_message = excluded.error_message,
        last_error_details = excluded.last_error_details,
        attempt_count = excluded.attempt_count,
        last_attempt_timestamp = excluded.last_attempt_timestamp,
        status = excluded.status,
        updated_at = clock_timestamp()
      WHERE f.status IN ${sql(retrying)}
      RETURNING *, (xmax = 0) AS inserted`;
    if (row) return { outcome: row.inserted ? 'inserted' : 'updated', row: failedTransactionFromRow(row) };
    const [existing] = await sql<Row[]>`
      SELECT * FROM failed_transactions WHERE unique_id = ${clean(params.uniqueId)}`;
    if (!existing) throw new Error(`failed transaction ${params.uniqueId} vanished while being recorded`);
    return { outcome: 'unchanged', row: failedTransactionFromRow(existing) };
  });
}

function clean(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

function cleanJson(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_key, item) => (typeof item === 'string' ? clean(item) : item)));
}
