/** The payout ledger row (docs/architecture.md, "Invariants and where they are enforced" and "Database") as the data-access functions return it. */

import { CONTEXTS, type PaymentContext } from '../token/index.js';
import {
  type Row,
  toBigInt,
  toBigIntOrNull,
  toDate,
  toDateOrNull,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
} from './columns.js';

/**
 * received: claimed, nothing broadcast yet · retry_scheduled: a transient error, another attempt is queued ·
 * submitted: a signed transaction was stored and sent · pending_confirmation: sent, not mined within the
 * bound, a check is queued · cancel_requested: an operator asked for a cancel; no transfer is signed any more,
 * the attempts settle which of the stored transactions wins · confirmed: mined at the configured depth ·
 * failed: handed to recordFailure · cancelled: nothing of it can pay any more, by an operator's wish.
 */
export const PAYOUT_STATUSES = [
  'received',
  'retry_scheduled',
  'submitted',
  'pending_confirmation',
  'cancel_requested',
  'confirmed',
  'failed',
  'cancelled',
] as const;

export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** Statuses nothing moves on from, except an operator's reopen of a failed payout. */
export const FINAL_PAYOUT_STATUSES: readonly PayoutStatus[] = ['confirmed', 'failed', 'cancelled'];

/** Money: `amountDecimal` is the requested decimal as a string, `amountBaseUnits` a bigint, never a number. */
export interface Payout {
  id: number;
  uniqueId: string;
  cnApiId: string;
  context: PaymentContext;
  currency: string;
  network: string;
  chainId: number;
  /** null for the chain's native coin. */
  assetAddress: string | null;
  decimals: number;
  recipient: string;
  amountDecimal: string;
  amountBaseUnits: bigint;
  status: PayoutStatus;
  attemptCount: number;
  /** Attempt cycle: 1, plus one per operator or automated retry of the failed payout. */
  cycle: number;
  firstAttemptAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  confirmedTxHash: string | null;
  confirmedBlockNumber: number | null;
  confirmedBlockHash: string | null;
  confirmedGasUsed: bigint | null;
  confirmedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A stored context; the ledger only ever stores a validated one, so another value is a corrupt row. */
function contextOf(value: unknown): PaymentContext {
  const context = CONTEXTS.find((c) => c === value);
  if (context === undefined) throw new Error(`payouts row holds an unknown context ${String(value)}`);
  return context;
}

export function payoutFromRow(row: Row): Payout {
  return {
    id: toNumber(row.id),
    uniqueId: String(row.unique_id),
    cnApiId: String(row.cn_api_id),
    context: contextOf(row.context),
    currency: String(row.currency),
    network: String(row.network),
    chainId: toNumber(row.chain_id),
    assetAddress: toStringOrNull(row.asset_address),
    decimals: toNumber(row.decimals),
    recipient: String(row.recipient),
    amountDecimal: String(row.amount_decimal),
    amountBaseUnits: toBigInt(row.amount_base_units),
    status: row.status as PayoutStatus,
    attemptCount: toNumber(row.attempt_count),
    cycle: toNumber(row.cycle),
    firstAttemptAt: toDateOrNull(row.first_attempt_at),
    leaseOwner: toStringOrNull(row.lease_owner),
    leaseExpiresAt: toDateOrNull(row.lease_expires_at),
    lastErrorCode: toStringOrNull(row.last_error_code),
    lastErrorMessage: toStringOrNull(row.last_error_message),
    confirmedTxHash: toStringOrNull(row.confirmed_tx_hash),
    confirmedBlockNumber: toNumberOrNull(row.confirmed_block_number),
    confirmedBlockHash: toStringOrNull(row.confirmed_block_hash),
    confirmedGasUsed: toBigIntOrNull(row.confirmed_gas_used),
    confirmedAt: toDateOrNull(row.confirmed_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
