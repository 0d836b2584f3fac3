/** A signed transaction of a payout (docs/architecture.md, "Invariants and where they are enforced") as the data-access functions return it. */
import {
  type Row,
  toBigInt,
  toBigIntOrNull,
  toDate,
  toDateOrNull,
  toHex,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
} from './columns.js';

/** transfer: the payout itself · replacement: the same transfer at the same nonce, higher fees · cancel: 0-value self-transfer at the same nonce. */
export type TransactionKind = 'transfer' | 'replacement' | 'cancel';

/** signed: stored, not yet broadcast · sent · mined · dropped: vanished from the pool · replaced: another transaction took its nonce. */
export type TransactionStatus = 'signed' | 'sent' | 'mined' | 'dropped' | 'replaced';

/** Fees and gas in wei/gas units as bigint; the raw transaction as 0x-prefixed hex. */
export interface PayoutTransaction {
  id: number;
  payoutId: number;
  chainId: number;
  fromAddress: string;
  hash: string;
  nonce: number;
  kind: TransactionKind;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  rawTransaction: string;
  status: TransactionStatus;
  sentAt: Date | null;
  minedBlockNumber: number | null;
  minedBlockHash: string | null;
  /** 1 success, 0 reverted, null while not mined. */
  receiptStatus: 0 | 1 | null;
  gasUsed: bigint | null;
  /** The payout's attempt cycle it was signed in (an operator retry starts a new one). */
  cycle: number;
  createdAt: Date;
  updatedAt: Date;
}

export function payoutTransactionFromRow(row: Row): PayoutTransaction {
  return {
    id: toNumber(row.id),
    payoutId: toNumber(row.payout_id),
    chainId: toNumber(row.chain_id),
    fromAddress: String(row.from_address),
    hash: String(row.hash),
    nonce: toNumber(row.nonce),
    kind: row.kind as TransactionKind,
    maxFeePerGas: toBigInt(row.max_fee_per_gas),
    maxPriorityFeePerGas: toBigInt(row.max_priority_fee_per_gas),
    gasLimit: toBigInt(row.gas_limit),
    rawTransaction: toHex(row.raw_transaction),
    status: row.status as TransactionStatus,
    sentAt: toDateOrNull(row.sent_at),
    minedBlockNumber: toNumberOrNull(row.mined_block_number),
    minedBlockHash: toStringOrNull(row.mined_block_hash),
    receiptStatus: toNumberOrNull(row.receipt_status) as 0 | 1 | null,
    gasUsed: toBigIntOrNull(row.gas_used),
    cycle: toNumber(row.cycle),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
