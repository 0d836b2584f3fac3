/** What sending or resuming a payout takes and answers (DESIGN.md §4 steps 3-5). */

import { getAddress } from 'ethers';
import type { Asset } from '../assets.js';
import type { Payout, PayoutTransaction, SqlClient } from '../db/index.js';
import { HostpayError } from '../errors.js';
import type { Balances } from './balances.js';
import type { ChainClient } from './client.js';
import type { FeePolicy } from './fees.js';

export interface TransferPayoutParams {
  /** The ledger row, leased by the caller. */
  payout: Payout;
  /** The asset the payout names, from the configured table. */
  asset: Asset;
  /** MAX_FEE_PER_GAS_GWEI in wei. */
  feeCapWei: bigint;
  /** MAX_PRIORITY_FEE_PER_GAS_GWEI in wei. */
  priorityFeeWei: bigint;
  gasMarginPercent: number;
  feeBumpPercent: number;
  /** RECEIPT_WAIT_SECONDS in ms: the bound on this attempt's wait. */
  receiptWaitMs: number;
  confirmations: number;
  /** Default 1 s. */
  pollIntervalMs?: number;
  /** A transaction unmined this long (since it was signed) is replaced with higher fees; default 180 s. */
  replaceAfterMs?: number;
  /** Told the wallet's balances read before a new transfer is signed (no extra RPC call). */
  onBalances?: (balances: Balances) => void;
  /** Told each time the node accepts a stored transaction of the payout (first send or rebroadcast). */
  onSent?: (transaction: PayoutTransaction) => void;
}

/**
 * confirmed: a transfer of this payout is mined successfully at depth · pending: broadcast, not (deep enough)
 * yet: check again later · reverted: mined and failed, or mined without moving the token · cancelled: the
 * 0-value self-transfer asked for by `cancelPayoutTransfer` is mined at depth.
 */
export type TransferOutcome =
  | { kind: 'confirmed'; txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint }
  | { kind: 'pending'; txHash: string; sentAt: Date | null }
  | { kind: 'reverted'; txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint }
  | { kind: 'cancelled'; txHash: string; blockNumber: number; blockHash: string };

export const DEFAULT_REPLACE_AFTER_MS = 180_000;

export function feePolicy(params: TransferPayoutParams): FeePolicy {
  return {
    maxFeePerGas: params.feeCapWei,
    maxPriorityFeePerGas: params.priorityFeeWei,
    feeBumpPercent: params.feeBumpPercent,
  };
}

/**
 * The stored payout and the configured asset must name the same thing on this chain: a token table
 * changed since the payout was taken must not send another contract's tokens (DESIGN.md §3.4).
 */
export function checkPayoutAsset(chain: ChainClient, params: TransferPayoutParams): void {
  const { payout, asset } = params;
  const storedToken = payout.assetAddress === null ? null : getAddress(payout.assetAddress);
  const configuredToken = asset.kind === 'erc20' ? getAddress(asset.address) : null;
  if (
    payout.chainId !== chain.chainId ||
    asset.chainId !== chain.chainId ||
    payout.currency !== asset.symbol ||
    payout.decimals !== asset.decimals ||
    storedToken !== configuredToken
  ) {
    throw new HostpayError(
      'UNSUPPORTED_CURRENCY',
      `payout ${payout.uniqueId} does not match the configured ${asset.symbol} on chain ${chain.chainId}`,
      {
        details: { uniqueId: payout.uniqueId, currency: payout.currency, chainId: payout.chainId },
      },
    );
  }
}

/** Runs `work` in a transaction, or a savepoint when `sql` is one already. */
export function inTransaction<T>(sql: SqlClient, work: (tx: SqlClient) => Promise<T>): Promise<T> {
  if ('begin' in sql) return sql.begin((tx) => work(tx)) as Promise<T>;
  return sql.savepoint((tx) => work(tx)) as Promise<T>;
}
