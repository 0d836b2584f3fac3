/** `GET /payouts` and `GET /payouts/{unique_id or tx hash}`: every payout, whatever its state; reads only. */
import * as v from 'valibot';
import {
  type FailedTransaction,
  getFailedTransaction,
  getPayout,
  getPayoutByTxHash,
  type ListPayoutsParams,
  listPayoutTransactions,
  PAYOUT_STATUSES,
  type Payout,
  type PayoutTransaction,
  type SqlClient,
} from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import { CONTEXTS } from '../token/index.js';
import { isoTimeParam, readQuery } from './listFailures.js';

const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Query parameters of the payouts list; any other is refused so a typo is not silently ignored. */
export const PayoutsQuerySchema = v.strictObject(
  {
    status: v.optional(
      v.pipe(
        v.string(),
        v.transform((text) => text.split(',')),
        v.array(v.picklist(PAYOUT_STATUSES, `status must be one of ${PAYOUT_STATUSES.join(', ')}`)),
      ),
    ),
    context: v.optional(v.picklist(CONTEXTS, `context must be one of ${CONTEXTS.join(', ')}`)),
    currency: v.optional(
      v.pipe(v.string(), v.regex(/^[a-z0-9]{1,32}$/, 'currency must be a lower-case symbol')),
    ),
    recipient: v.optional(v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{40}$/, 'recipient must be an address'))),
    tx_hash: v.optional(v.pipe(v.string(), v.regex(HASH, 'tx_hash must be 0x and 64 hex digits'))),
    error_code: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'error_code must be an upper-case code')),
    ),
    created_from: v.optional(isoTimeParam('created_from')),
    created_to: v.optional(isoTimeParam('created_to')),
    confirmed_from: v.optional(isoTimeParam('confirmed_from')),
    confirmed_to: v.optional(isoTimeParam('confirmed_to')),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,3}$/, 'limit must be a whole number from 1 to 500'),
        v.transform(Number),
        v.minValue(1, 'limit must be at least 1'),
        v.maxValue(500, 'limit must be at most 500'),
      ),
    ),
    after: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[1-9]\d{0,15}$/, 'after must be the next cursor of a page'),
        v.transform(Number),
      ),
    ),
  },
  'is not a known parameter',
);

/** The payouts list's query as the Functions Framework parses it; anything malformed is a 400 naming it. */
export function parsePayoutsQuery(query: Record<string, unknown>): ListPayoutsParams {
  const q = readQuery(PayoutsQuerySchema, query);
  const pick = <T>(value: T | undefined, name: keyof ListPayoutsParams) =>
    value === undefined ? {} : { [name]: value };
  return {
    ...pick(q.status, 'status'),
    ...pick(q.context, 'context'),
    ...pick(q.currency, 'currency'),
    ...pick(q.recipient, 'recipient'),
    ...pick(q.tx_hash, 'txHash'),
    ...pick(q.error_code, 'errorCode'),
    ...pick(q.created_from, 'createdFrom'),
    ...pick(q.created_to, 'createdTo'),
    ...pick(q.confirmed_from, 'confirmedFrom'),
    ...pick(q.confirmed_to, 'confirmedTo'),
    ...pick(q.limit, 'limit'),
    ...pick(q.after, 'afterId'),
  };
}

export interface PayoutView {
  payout: Payout;
  transactions: PayoutTransaction[];
  /** Its failed_transactions row, when a failure was recorded. */
  failure: FailedTransaction | null;
}

/** One payout by its `unique_id`, or by the hash of any of its signed transactions; 404 when unknown. */
export async function showPayout(sql: SqlClient, params: { key: string }): Promise<PayoutView> {
  const payout = HASH.test(params.key)
    ? ((await getPayoutByTxHash(sql, { hash: params.key })) ??
      (await getPayout(sql, { uniqueId: params.key })))
    : await getPayout(sql, { uniqueId: params.key });
  if (payout === null)
    throw new RequestError(404, 'not_found', `no payout has unique_id or transaction ${params.key}`);
  const [transactions, failure] = await Promise.all([
    listPayoutTransactions(sql, { uniqueId: payout.uniqueId }),
    getFailedTransaction(sql, { uniqueId: payout.uniqueId }),
  ]);
  return { payout, transactions, failure };
}
