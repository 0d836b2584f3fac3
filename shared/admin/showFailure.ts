/** `GET /failed-transactions/{unique_id}`: the failure, its ledger row and every signed transaction (docs/architecture.md, "The flow"). */
import {
  type FailedTransaction,
  getFailedTransaction,
  getPayout,
  listPayoutTransactions,
  type Payout,
  type PayoutTransaction,
  type SqlClient,
} from '../db/index.js';
import { failureNotFound } from '../recovery/retryFailure.js';

export interface FailureView {
  failure: FailedTransaction;
  /** null when the request never became a ledger row (bad address, unsupported currency, expired token). */
  payout: Payout | null;
  transactions: PayoutTransaction[];
}

/**
 * Reads everything known about one failure, and writes nothing: a retried failure whose payout confirmed
 * is already `recovered` (the confirmation moved it). Unknown id: RequestError 404.
 */
export async function showFailure(sql: SqlClient, params: { uniqueId: string }): Promise<FailureView> {
  const [failure, payout, transactions] = await Promise.all([
    getFailedTransaction(sql, { uniqueId: params.uniqueId }),
    getPayout(sql, { uniqueId: params.uniqueId }),
    listPayoutTransactions(sql, { uniqueId: params.uniqueId }),
  ]);
  if (failure === null) throw failureNotFound(params.uniqueId);
  return { failure, payout, transactions };
}
