/** The lease, the fence and the attempt counter of a ledger row (docs/architecture.md, "The fence"). */
import { HostpayError } from '../errors.js';
import type { SqlClient } from './client.js';
import type { Row } from './columns.js';
import { FINAL_PAYOUT_STATUSES, type Payout, type PayoutStatus, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

/**
 * Takes the lease of a payout that is not final when it is free, expired or already the caller's; null
 * when another live delivery holds it or the payout is final. Under READ COMMITTED a concurrent taker makes
 * this re-check its WHERE on the new row: one wins.
 */
export function acquireLease(
  sql: SqlClient,
  params: { uniqueId: string; leaseOwner: string; leaseSeconds: number },
): Promise<Payout | null> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      UPDATE payouts
      SET lease_owner = ${params.leaseOwner},
        lease_expires_at = clock_timestamp() + make_interval(secs => ${params.leaseSeconds}),
        updated_at = clock_timestamp()
      WHERE unique_id = ${params.uniqueId}
        AND status NOT IN ${sql([...FINAL_PAYOUT_STATUSES])}
        AND (lease_owner IS NULL OR lease_expires_at <= clock_timestamp() OR lease_owner = ${params.leaseOwner})
      RETURNING *`;
    return row ? payoutFromRow(row) : null;
  });
}

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

/** Extends the caller's lease; false when it was lost (expired, taken over, or released with a status change). */
export function renewLease(
  sql: SqlClient,
  params: { uniqueId: string; leaseOwner: string; leaseSeconds: number },
): Promise<boolean> {
  return withDatabaseErrors(async () => {
    const rows = await sql`
      UPDATE payouts
      SET lease_expires_at = clock_timestamp() + make_interval(secs => ${params.leaseSeconds}),
        updated_at = clock_timestamp()
      WHERE unique_id = ${params.uniqueId} AND lease_owner = ${params.leaseOwner}
        AND lease_expires_at > clock_timestamp()`;
    return rows.count === 1;
  });
}

/** What a delivery proves at each fence: which payout, its lease, and how long a renewal lasts. */
export interface Lease {
  uniqueId: string;
  owner: string;
  seconds: number;
}

/**
 * `transfer`: about to allocate a nonce or sign a transfer (or its replacement) · `any`: about to store a
 * cancel or record what the chain decided, which an operator's cancel does not forbid.
 */
export type FencePurpose = 'transfer' | 'any';

/**
 * The fence: locks the payout row (`FOR UPDATE`, so run it inside the transaction whose writes it guards)
 * and goes on only while `lease` is held and unexpired and the payout is not final; for `transfer`, also
 * not `cancel_requested`. The lease is renewed as it passes. Throws LEASE_LOST or CANCEL_REQUESTED, having
 * changed nothing.
 */
export function fencePayout(sql: SqlClient, lease: Lease, purpose: FencePurpose): Promise<Payout> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      SELECT *, (lease_owner = ${lease.owner} AND lease_expires_at > clock_timestamp()) AS held
      FROM payouts WHERE unique_id = ${lease.uniqueId}
      FOR UPDATE`;
    if (!row?.held || FINAL_PAYOUT_STATUSES.includes(row.status as PayoutStatus)) {
      throw new HostpayError('LEASE_LOST', `payout ${lease.uniqueId}: this delivery no longer holds it`, {
        details: { uniqueId: lease.uniqueId, status: row?.status ?? null },
      });
    }
    if (purpose === 'transfer' && row.status === 'cancel_requested') {
      throw new HostpayError('CANCEL_REQUESTED', `payout ${lease.uniqueId}: an operator asked to cancel it`, {
        details: { uniqueId: lease.uniqueId },
      });
    }
    const [renewed] = await sql<Row[]>`
      UPDATE payouts SET lease_expires_at = clock_timestamp() + make_interval(secs => ${lease.seconds})
      WHERE unique_id = ${lease.uniqueId}
      RETURNING *`;
    return payoutFromRow(renewed!);
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
        AND status NOT IN ${sql([...FINAL_PAYOUT_STATUSES])}
        ${params.leaseOwner === undefined ? sql`` : sql`AND lease_owner = ${params.leaseOwner}`}
      RETURNING *`;
    if (row) return payoutFromRow(row);
    throw new HostpayError('STATUS_TRANSITION_REFUSED', `payout ${params.uniqueId}: attempt not counted`, {
      details: { uniqueId: params.uniqueId, reason: 'final_or_lease_lost' },
    });
  });
}
