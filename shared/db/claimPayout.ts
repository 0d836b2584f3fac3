/** Takes the ledger row of a payout, creating it on first delivery, under a lease (docs/architecture.md, "Invariants and where they are enforced" and "The flow"). */
import type { SqlClient } from './client.js';
import { numericParam, type Row } from './columns.js';
import { acquireLease } from './payoutLease.js';
import { type Payout, payoutFromRow } from './payoutRow.js';
import { withDatabaseErrors } from './sqlState.js';

/** The validated request, stored once and compared on every later delivery of the same `unique_id`. */
export interface PayoutRequest {
  uniqueId: string;
  cnApiId: string;
  context: string;
  currency: string;
  network: string;
  chainId: number;
  /** null for the chain's native coin. */
  assetAddress: string | null;
  decimals: number;
  recipient: string;
  /** The requested decimal amount, kept exactly. */
  amountDecimal: string;
  /** The amount in base units, rounded down once (docs/architecture.md, "Invariants and where they are enforced"). */
  amountBaseUnits: bigint;
}

export interface ClaimPayoutParams extends PayoutRequest {
  /** Identifies this delivery (e.g. the task name plus a random suffix). */
  leaseOwner: string;
  leaseSeconds: number;
}

/**
 * created: new row, leased to the caller · acquired: existing row whose lease was free, expired or already
 * the caller's · leased: another live delivery holds it · confirmed / failed / cancelled: final, not leased ·
 * mismatch: the stored payout differs from this request in `mismatchedFields`; nothing was taken.
 */
export type ClaimOutcome =
  | 'created'
  | 'acquired'
  | 'leased'
  | 'confirmed'
  | 'failed'
  | 'cancelled'
  | 'mismatch';

export interface ClaimPayoutResult {
  /** true when the caller now holds the lease and may work on the payout. */
  owned: boolean;
  outcome: ClaimOutcome;
  payout: Payout;
  mismatchedFields: string[];
}

/** Inserts the payout or takes its lease; at most one caller owns it at a time, even under concurrency. */
export function claimPayout(sql: SqlClient, params: ClaimPayoutParams): Promise<ClaimPayoutResult> {
  return withDatabaseErrors(async () => {
    const lease = sql`clock_timestamp() + make_interval(secs => ${params.leaseSeconds})`;
    const [created] = await sql<Row[]>`
      INSERT INTO payouts (
        unique_id, cn_api_id, context, currency, network, chain_id, asset_address, decimals, recipient,
        amount_decimal, amount_base_units, lease_owner, lease_expires_at
      ) VALUES (
        ${params.uniqueId}, ${params.cnApiId}, ${params.context}, ${params.currency}, ${params.network},
        ${params.chainId}, ${params.assetAddress}, ${params.decimals}, ${params.recipient},
        ${params.amountDecimal}::numeric, ${numericParam(params.amountBaseUnits)}::numeric,
        ${params.leaseOwner}, ${lease}
      )
      ON CONFLICT (unique_id) DO NOTHING
      RETURNING *`;
    if (created)
      return { owned: true, outcome: 'created', payout: payoutFromRow(created), mismatchedFields: [] };

    const [compared] = await sql<Row[]>`
      SELECT *, array_remove(ARRAY[
        CASE WHEN chain_id <> ${params.chainId} THEN 'chainId' END,
        CASE WHEN currency <> ${params.currency} THEN 'currency' END,
        CASE WHEN lower(asset_address) IS DISTINCT FROM lower(${params.assetAddress}::text)
          THEN 'assetAddress' END,
        CASE WHEN decimals <> ${params.decimals} THEN 'decimals' END,
        CASE WHEN lower(recipient) <> lower(${params.recipient}) THEN 'recipient' END,
        CASE WHEN amount_decimal <> ${params.amountDecimal}::numeric THEN 'amountDecimal' END,
        CASE WHEN amount_base_units <> ${numericParam(params.amountBaseUnits)}::numeric
          THEN 'amountBaseUnits' END
      ], NULL) AS mismatched_fields
      FROM payouts WHERE unique_id = ${params.uniqueId}`;
    if (!compared) throw new Error(`payout ${params.uniqueId} vanished while being claimed`);
    const mismatchedFields = compared.mismatched_fields as string[];
    if (mismatchedFields.length > 0) {
      return { owned: false, outcome: 'mismatch', payout: payoutFromRow(compared), mismatchedFields };
    }

    const acquired = await acquireLease(sql, params);
    if (acquired) return { owned: true, outcome: 'acquired', payout: acquired, mismatchedFields };

    const [current] = await sql<Row[]>`SELECT * FROM payouts WHERE unique_id = ${params.uniqueId}`;
    if (!current) throw new Error(`payout ${params.uniqueId} vanished while being claimed`);
    const payout = payoutFromRow(current);
    const outcome: ClaimOutcome =
      payout.status === 'confirmed' || payout.status === 'failed' || payout.status === 'cancelled'
        ? payout.status
        : 'leased';
    return { owned: false, outcome, payout, mismatchedFields };
  });
}
