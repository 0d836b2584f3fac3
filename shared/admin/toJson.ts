/** Plain JSON for operator answers: bigints as decimal strings, dates as ISO strings, raw bytes left out. */
import type { FailedTransaction, Payout, PayoutTransaction } from '../db/index.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Any value with bigints and dates turned into strings, so `res.json` and the CLI can print it. */
export function toJson(value: unknown): Json {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJson(item)]));
  }
  return value as Json;
}

/** A failed_transactions row with the upstream's snake_case column names. */
export function failureJson(failure: FailedTransaction): Record<string, Json> {
  return {
    id: failure.id,
    unique_id: failure.uniqueId,
    cn_api_id: failure.cnApiId,
    from_currency: failure.fromCurrency,
    from_network: failure.fromNetwork,
    from_amount: failure.fromAmount,
    payin_address: failure.payinAddress,
    context: failure.context,
    error_code: failure.errorCode,
    error_message: failure.errorMessage,
    last_error_details: toJson(failure.lastErrorDetails),
    attempt_count: failure.attemptCount,
    last_attempt_timestamp: toJson(failure.lastAttemptTimestamp),
    status: failure.status,
    retry_count: failure.retryCount,
    last_retry_attempt: toJson(failure.lastRetryAttempt),
    recovery_tx_hash: failure.recoveryTxHash,
    recovered_at: toJson(failure.recoveredAt),
    recovered_by: failure.recoveredBy,
    admin_notes: failure.adminNotes,
    created_at: toJson(failure.createdAt),
    updated_at: toJson(failure.updatedAt),
  };
}

/** The ledger row; amounts as strings. */
export function payoutJson(payout: Payout): Record<string, Json> {
  return toJson(payout) as Record<string, Json>;
}

/** A signed transaction without its raw bytes (public, but long and of no use to a reader). */
export function transactionJson(transaction: PayoutTransaction): Record<string, Json> {
  const { rawTransaction: _raw, ...rest } = transaction;
  return toJson(rest) as Record<string, Json>;
}
