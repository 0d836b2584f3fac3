/** The lease and attempt counter of a ledger row (DESIGN §4.2). */
import { HostpayError } from '../errors.js';
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import { type Payout, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

/** Gives the lease up; false when the caller no longer held it. */
export function releaseLease(
  sql: SqlClient,
  params: { uniqueId: string; leaseOwner: string },
): Promise<boolean> {
  return withDatabaseErrors(async () => {
    const rows = await sql`
      UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL, updated_at = clock_timestamp()
      WHERE unique_id = ${params.uniqueId} AND lease_owner = ${params.leaseOwner}`;
    return rows.count === 1;
  });
}

/** Extends the caller's lease; false when it was lost (taken over after expiry, or released). */
export function renewLease(
  sql: SqlClient,
  params: { uniqueId: string; leaseOwner: string; leaseSeconds: number },
): Promise<boolean> {
  return withDatabaseErrors(async () => {
    const rows = await sql`
      UPDATE payouts
      SET lease_expires_at = clock_timestamp() + make_interval(secs => ${params.leaseSeconds}),
        updated_at = clock_timestamp()
      WHERE unique_id = ${params.uniqueId} AND lease_owner = ${params.leaseOwner}`;
    return rows.count === 1;
  });
}

/** Counts one more attempt (and stamps the first); refused on a final payout or a lost lease. */
export function incrementAttempt(
  sql: SqlClient,
  params: { uniqueId: string; leaseOwner?: string },
): Promise<Payout> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      UPDATE payouts
      SET attempt_count = attempt_count + 1,
        first_attempt_at = coalesce(first_attempt_at, clock_timestamp()),
        updated_at = clock_timestamp()
      WHERE unique_id = ${params.uniqueId}
        AND status NOT IN ('confirmed', 'failed', 'cancelled')
        ${params.leaseOwner === undefined ? sql`` : sql`AND lease_owner = ${params.leaseOwner}`}
      RETURNING *`;
    if (row) return payoutFromRow(row);
    throw new HostpayError('STATUS_TRANSITION_REFUSED', `payout ${params.uniqueId}: attempt not counted`, {
      details: { uniqueId: params.uniqueId, reason: 'final_or_lease_lost' },
    });
  });
}
