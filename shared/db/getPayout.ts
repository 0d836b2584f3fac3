/** Reads of the payout ledger (docs/architecture.md, "Invariants and where they are enforced"). */
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import { FINAL_PAYOUT_STATUSES, type Payout, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

/** The ledger row, or null. */
export function getPayout(sql: SqlClient, params: { uniqueId: string }): Promise<Payout | null> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`SELECT * FROM payouts WHERE unique_id = ${params.uniqueId}`;
    return row ? payoutFromRow(row) : null;
  });
}

/** Unfinished payouts nobody holds that have not moved for `olderThanSeconds`, oldest first (docs/architecture.md, "Invariants and where they are enforced"). */
export function listStuckPayouts(
  sql: SqlClient,
  params: { olderThanSeconds: number; limit: number },
): Promise<Payout[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT * FROM payouts
      WHERE status NOT IN ${sql([...FINAL_PAYOUT_STATUSES])}
        AND updated_at <= clock_timestamp() - make_interval(secs => ${params.olderThanSeconds})
        AND (lease_owner IS NULL OR lease_expires_at <= clock_timestamp())
      ORDER BY updated_at, id
      LIMIT ${params.limit}`;
    return rows.map(payoutFromRow);
  });
}

/**
 * Failed payouts whose failure never reached `failed_transactions` (its task lost, or recordFailure refused
 * it until Cloud Tasks gave up): no row, or a row still marked as being retried, both untouched for
 * `olderThanSeconds`, oldest first.
 */
export function listUnrecordedFailures(
  sql: SqlClient,
  params: { olderThanSeconds: number; limit: number },
): Promise<Payout[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT p.* FROM payouts p
      LEFT JOIN failed_transactions f ON f.unique_id = p.unique_id
      WHERE p.status = 'failed'
        AND p.updated_at <= clock_timestamp() - make_interval(secs => ${params.olderThanSeconds})
        AND (
          f.id IS NULL
          OR (f.status IN ('retry_scheduled', 'retry_in_progress')
            AND f.updated_at <= clock_timestamp() - make_interval(secs => ${params.olderThanSeconds}))
        )
      ORDER BY p.updated_at, p.id
      LIMIT ${params.limit}`;
    return rows.map(payoutFromRow);
  });
}
