/** A `failed_transactions` row (docs/architecture.md, "Database") as the data-access functions return it. */
import { type Row, toDate, toDateOrNull, toNumber, toStringOrNull } from './columns.js';

/** docs/architecture.md, "Database" status values; FAILED_TRANSACTION_TRANSITIONS says which changes are allowed. */
export const FAILED_TRANSACTION_STATUSES = [
  'failed_pending_review',
  'failed_retryable',
  'failed_cancelled',
  'retry_scheduled',
  'retry_in_progress',
  'recovered',
] as const;

export type FailedTransactionStatus = (typeof FAILED_TRANSACTION_STATUSES)[number];

export interface FailedTransaction {
  id: number;
  uniqueId: string;
  cnApiId: string;
  fromCurrency: string;
  fromNetwork: string;
  /** Decimal string exactly as stored; null when the request's amount did not fit NUMERIC(38,18). */
  fromAmount: string | null;
  payinAddress: string;
  context: string;
  errorCode: string;
  errorMessage: string;
  lastErrorDetails: Record<string, unknown> | null;
  attemptCount: number;
  lastAttemptTimestamp: Date | null;
  status: FailedTransactionStatus;
  retryCount: number;
  lastRetryAttempt: Date | null;
  recoveryTxHash: string | null;
  recoveredAt: Date | null;
  recoveredBy: string | null;
  adminNotes: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function failedTransactionFromRow(row: Row): FailedTransaction {
  return {
    id: toNumber(row.id),
    uniqueId: String(row.unique_id),
    cnApiId: String(row.cn_api_id),
    fromCurrency: String(row.from_currency),
    fromNetwork: String(row.from_network),
    fromAmount: toStringOrNull(row.from_amount),
    payinAddress: String(row.payin_address),
    context: String(row.context),
    errorCode: String(row.error_code),
    errorMessage: String(row.error_message),
    lastErrorDetails: (row.last_error_details ?? null) as Record<string, unknown> | null,
    attemptCount: toNumber(row.attempt_count),
    lastAttemptTimestamp: toDateOrNull(row.last_attempt_timestamp),
    status: row.status as FailedTransactionStatus,
    retryCount: toNumber(row.retry_count),
    lastRetryAttempt: toDateOrNull(row.last_retry_attempt),
    recoveryTxHash: toStringOrNull(row.recovery_tx_hash),
    recoveredAt: toDateOrNull(row.recovered_at),
    recoveredBy: toStringOrNull(row.recovered_by),
    adminNotes: toStringOrNull(row.admin_notes),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
