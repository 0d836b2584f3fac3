/** Reads of the payout ledger (DESIGN §3.1, §3.2). */
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import { type Payout, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

/** The ledger row, or null. */
export function getPayout(sql: SqlClient, params: { uniqueId: string }): Promise<Payout | null> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`SELECT * FROM payouts WHERE unique_id = ${params.uniqueId}`;
    return row ? payoutFromRow(row) : null;
  });
}

/** Unfinished payouts nobody holds that have not moved for `olderThanSeconds`, oldest first (DESIGN §3.2). */
export function listStuckPayouts(
  sql: SqlClient,
  params: { olderThanSeconds: number; limit: number },
): Promise<Payout[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT * FROM payouts
      WHERE status NOT IN ('confirmed', 'failed', 'cancelled')
        AND updated_at <= clock_timestamp() - make_interval(secs => ${params.olderThanSeconds})
        AND (lease_owner IS NULL OR lease_expires_at <= clock_timestamp())
      ORDER BY updated_at, id
      LIMIT ${params.limit}`;
    return rows.map(payoutFromRow);
  });
}
