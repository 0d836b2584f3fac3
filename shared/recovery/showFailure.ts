/** `GET /failed-transactions/{unique_id}`: the failure, its ledger row and every signed transaction (DESIGN.md §2). */
import {
  type FailedTransaction,
  getFailedTransaction,
  getPayout,
  listPayoutTransactions,
  type Payout,
  type PayoutTransaction,
  type SqlClient,
} from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import { reconcileRecovered } from './reconcileRecovered.js';

export interface FailureView {
  failure: FailedTransaction;
  /** null when the request never became a ledger row (bad address, unsupported currency, expired token). */
  payout: Payout | null;
  transactions: PayoutTransaction[];
}

/**
 * Reads everything known about one failure; reconciles it to `recovered` first when its retry has been
 * confirmed meanwhile, so an operator never sees a paid payout as failed. Unknown id: RequestError 404.
 */
export async function showFailure(
  sql: SqlClient,
  params: { uniqueId: string; reconcileAs: string },
): Promise<FailureView> {
  const found = await getFailedTransaction(sql, { uniqueId: params.uniqueId });
  if (found === null) throw notFound(params.uniqueId);
  const [payout, transactions] = await Promise.all([
    getPayout(sql, { uniqueId: params.uniqueId }),
    listPayoutTransactions(sql, { uniqueId: params.uniqueId }),
  ]);
  const { failure } = await reconcileRecovered(sql, {
    failure: found,
    payout,
    recoveredBy: params.reconcileAs,
  });
  return { failure, payout, transactions };
}

export function notFound(uniqueId: string): RequestError {
  return new RequestError(404, 'not_found', `no failed transaction has unique_id ${uniqueId}`);
}
