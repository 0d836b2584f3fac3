/** The record of every signed transaction of a payout, written before broadcast (docs/architecture.md, "Invariants and where they are enforced" and "The flow"). */
import { HostpayError } from '../errors.js';
import type { SqlClient } from './client.js';
import { numericParam, type Row } from './columns.js';
import {
  type PayoutTransaction,
  payoutTransactionFromRow,
  type TransactionKind,
} from './payoutTransactionRow.js';
import { withDatabaseErrors } from './sqlState.js';

export interface SignedTransactionParams {
  uniqueId: string;
  chainId: number;
  fromAddress: string;
  hash: string;
  nonce: number;
  kind: TransactionKind;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  /** The signed, serialized transaction as 0x-prefixed hex (ethers' `Transaction.serialized`). */
  rawTransaction: string;
}

export interface MinedParams {
  hash: string;
  blockNumber: number;
  blockHash: string;
  /** 1 success, 0 reverted. */
  receiptStatus: 0 | 1;
  gasUsed: bigint;
}

/**
 * Stores a signed transaction; call it BEFORE broadcasting. Idempotent on the hash (the same signed bytes
 * stored twice give one row). Run it in the same transaction as `allocateNonce` so no nonce is lost.
 */
export function recordSignedTransaction(
  sql: SqlClient,
  params: SignedTransactionParams,
): Promise<PayoutTransaction> {
  const raw = Buffer.from(params.rawTransaction.replace(/^0x/, ''), 'hex');
  const hash = params.hash.toLowerCase();
  return withDatabaseErrors(async () => {
    const [inserted] = await sql<Row[]>`
      INSERT INTO payout_transactions (
        payout_id, cycle, chain_id, from_address, hash, nonce, kind,
        max_fee_per_gas, max_priority_fee_per_gas, gas_limit, raw_transaction
      )
      SELECT id, cycle, ${params.chainId}, ${params.fromAddress.toLowerCase()}, ${hash}, ${params.nonce}, ${params.kind},
        ${numericParam(params.maxFeePerGas)}::numeric, ${numericParam(params.maxPriorityFeePerGas)}::numeric,
        ${numericParam(params.gasLimit)}::numeric, ${raw}
      FROM payouts WHERE unique_id = ${params.uniqueId}
      ON CONFLICT (hash) DO NOTHING
      RETURNING *`;
    if (inserted) return payoutTransactionFromRow(inserted);
    const [existing] = await sql<Row[]>`
      SELECT t.* FROM payout_transactions t JOIN payouts p ON p.id = t.payout_id
      WHERE t.hash = ${hash} AND p.unique_id = ${params.uniqueId}`;
    if (existing) return payoutTransactionFromRow(existing);
    throw new HostpayError(
      'STATUS_TRANSITION_REFUSED',
      `payout ${params.uniqueId} does not exist or transaction ${hash} belongs to another payout`,
      { details: { uniqueId: params.uniqueId, hash, reason: 'not_found' } },
    );
  });
}

/** The transaction was handed to the node (or handed again); `sentAt` keeps the first broadcast. */
export function markTransactionSent(sql: SqlClient, params: { hash: string }): Promise<PayoutTransaction> {
  return updateTransaction(
    sql,
    params.hash,
    sql`status = CASE WHEN status IN ('signed', 'dropped') THEN 'sent' ELSE status END,
      sent_at = coalesce(sent_at, clock_timestamp())`,
  );
}

/** Mined (successfully or reverted); every other unmined transaction at its nonce becomes `replaced`. */
export function markTransactionMined(sql: SqlClient, params: MinedParams): Promise<PayoutTransaction> {
  return withDatabaseErrors(async () => {
    const mined = await updateTransaction(
      sql,
      params.hash,
      sql`status = 'mined', mined_block_number = ${params.blockNumber},
        mined_block_hash = ${params.blockHash.toLowerCase()}, receipt_status = ${params.receiptStatus},
        gas_used = ${numericParam(params.gasUsed)}::numeric`,
    );
    await sql`
      UPDATE payout_transactions SET status = 'replaced', updated_at = clock_timestamp()
      WHERE chain_id = ${mined.chainId} AND from_address = ${mined.fromAddress} AND nonce = ${mined.nonce}
        AND hash <> ${mined.hash} AND status <> 'mined'`;
    return mined;
  });
}

/**
 * Left the chain in a reorg: back to `sent`, block fields cleared (docs/architecture.md, "Provably dead"). The others at its
 * nonce were `replaced` only because it was mined; now any of them can be mined again, so they are `sent` too.
 */
export function markTransactionReorged(sql: SqlClient, params: { hash: string }): Promise<PayoutTransaction> {
  return withDatabaseErrors(async () => {
    const reorged = await updateTransaction(
      sql,
      params.hash,
      sql`status = 'sent', mined_block_number = NULL, mined_block_hash = NULL, receipt_status = NULL,
        gas_used = NULL`,
    );
    await sql`
      UPDATE payout_transactions SET status = 'sent', updated_at = clock_timestamp()
      WHERE chain_id = ${reorged.chainId} AND from_address = ${reorged.fromAddress}
        AND nonce = ${reorged.nonce} AND status = 'replaced'`;
    return reorged;
  });
}

/** Neither in the node's pool nor mined; its stored bytes can be rebroadcast. */
export function markTransactionDropped(sql: SqlClient, params: { hash: string }): Promise<PayoutTransaction> {
  return updateTransaction(
    sql,
    params.hash,
    sql`status = CASE WHEN status = 'mined' THEN status ELSE 'dropped' END`,
  );
}

/** How many transactions are stored for the payout. */
export function countPayoutTransactions(sql: SqlClient, params: { uniqueId: string }): Promise<number> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      SELECT count(*)::int AS n FROM payout_transactions t JOIN payouts p ON p.id = t.payout_id
      WHERE p.unique_id = ${params.uniqueId}`;
    return Number(row?.n ?? 0);
  });
}

/** Every transaction signed for the payout, oldest first. */
export function listPayoutTransactions(
  sql: SqlClient,
  params: { uniqueId: string },
): Promise<PayoutTransaction[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT t.* FROM payout_transactions t JOIN payouts p ON p.id = t.payout_id
      WHERE p.unique_id = ${params.uniqueId}
      ORDER BY t.id`;
    return rows.map(payoutTransactionFromRow);
  });
}

/**
 * The wallet's stored transactions at nonces in [`fromNonce`, `toNonce`) that are not mined, by nonce and
 * newest first, each with its payout's `unique_id` and status: what can fill a nonce the node has neither
 * mined nor pooled (docs/architecture.md, "Nonces").
 */
export function listWalletTransactionsInRange(
  sql: SqlClient,
  params: { chainId: number; address: string; fromNonce: number; toNonce: number },
): Promise<(PayoutTransaction & { uniqueId: string; payoutStatus: string })[]> {
  return withDatabaseErrors(async () => {
    const rows = await sql<Row[]>`
      SELECT t.*, p.unique_id AS payout_unique_id, p.status AS payout_status
      FROM payout_transactions t JOIN payouts p ON p.id = t.payout_id
      WHERE t.chain_id = ${params.chainId} AND t.from_address = ${params.address.toLowerCase()}
        AND t.nonce >= ${params.fromNonce} AND t.nonce < ${params.toNonce} AND t.status <> 'mined'
      ORDER BY t.nonce, t.id DESC`;
    return rows.map((row) => ({
      ...payoutTransactionFromRow(row),
      uniqueId: String(row.payout_unique_id),
      payoutStatus: String(row.payout_status),
    }));
  });
}

function updateTransaction(
  sql: SqlClient,
  hash: string,
  set: ReturnType<SqlClient>,
): Promise<PayoutTransaction> {
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      UPDATE payout_transactions SET ${set}, updated_at = clock_timestamp()
      WHERE hash = ${hash.toLowerCase()}
      RETURNING *`;
    if (row) return payoutTransactionFromRow(row);
    throw new HostpayError('STATUS_TRANSITION_REFUSED', `transaction ${hash} is not stored`, {
      details: { hash, reason: 'not_found' },
    });
  });
}
