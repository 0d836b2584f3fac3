/** Reads of the payout ledger for operators: filtered pages by keyset, and a payout by one of its hashes. */
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import { type Payout, type PayoutStatus, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

export interface ListPayoutsParams {
  status?: readonly PayoutStatus[];
  context?: string;
  currency?: string;
  recipient?: string;
  /** Any signed transaction of the payout (transfer, replacement or cancel). */
  txHash?: string;
  /** The last error code recorded on the ledger row. */
  errorCode?: string;
  createdFrom?: Date;
  createdTo?: Date;
  confirmedFrom?: Date;
  confirmedTo?: Date;
  /** Default 50, at most 500. */
  limit?: number;
  /** The id of the last row of the previous page: older rows (lower ids) come next. */
  afterId?: number;
}

/**
 * Newest first, by id (ids are handed out in insertion order; a key of microsecond timestamps would not
 * survive a round trip through JavaScript dates); `next` is the id to continue after when more may follow.
 */
export function listPayouts(
  sql: SqlClient,
  params: ListPayoutsParams = {},
): Promise<{ items: Payout[]; next: number | null }> {
  const limit = Math.min(Math.max(Math.trunc(params.limit ?? 50), 1), 500);
  const p = params;
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT * FROM payouts
      WHERE true
        ${p.status?.length ? sql`AND status IN ${sql([...p.status])}` : sql``}
        ${p.context === undefined ? sql`` : sql`AND context = ${p.context}`}
        ${p.currency === undefined ? sql`` : sql`AND currency = ${p.currency}`}
        ${p.recipient === undefined ? sql`` : sql`AND lower(recipient) = ${p.recipient.toLowerCase()}`}
        ${
          p.txHash === undefined
            ? sql``
            : sql`AND id IN (SELECT payout_id FROM payout_transactions WHERE hash = ${p.txHash.toLowerCase()})`
        }
        ${p.errorCode === undefined ? sql`` : sql`AND last_error_code = ${p.errorCode}`}
        ${p.createdFrom === undefined ? sql`` : sql`AND created_at >= ${p.createdFrom}`}
        ${p.createdTo === undefined ? sql`` : sql`AND created_at < ${p.createdTo}`}
        ${p.confirmedFrom === undefined ? sql`` : sql`AND confirmed_at >= ${p.confirmedFrom}`}
        ${p.confirmedTo === undefined ? sql`` : sql`AND confirmed_at < ${p.confirmedTo}`}
        ${p.afterId === undefined ? sql`` : sql`AND id < ${p.afterId}`}
      ORDER BY id DESC
      LIMIT ${limit + 1}`;
    const items = rows.slice(0, limit).map(payoutFromRow);
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? last.id : null };
  });
}

/** The payout one of whose signed transactions has `hash`, or null. */
export function getPayoutByTxHash(sql: SqlClient, params: { hash: string }): Promise<Payout | null> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      SELECT p.* FROM payouts p JOIN payout_transactions t ON t.payout_id = p.id
      WHERE t.hash = ${params.hash.toLowerCase()}`;
    return row ? payoutFromRow(row) : null;
  });
}
