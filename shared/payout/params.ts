/** What advancing a payout takes and answers (docs/architecture.md, "The payout engine"). */
import { getAddress } from 'ethers';
import type { Asset } from '../assets.js';
import type { Balances } from '../chain/balances.js';
import type { ChainClient } from '../chain/client.js';
import type { FeePolicy } from '../chain/fees.js';
import {
  type FencePurpose,
  fencePayout,
  inTransaction,
  type Lease,
  type Payout,
  type PayoutTransaction,
  renewLease,
  type SqlClient,
} from '../db/index.js';
import { HostpayError } from '../errors.js';

export interface TransferPayoutParams {
  /** The ledger row, leased by the caller. */
  payout: Payout;
  /** The caller's lease: every write that can move money proves it first (`fenced`). */
  lease: Lease;
  /** The asset the payout names, from the configured table. */
  asset: Asset;
  /** MAX_FEE_PER_GAS_GWEI in wei. */
  feeCapWei: bigint;
  /** MAX_PRIORITY_FEE_PER_GAS_GWEI in wei. */
  priorityFeeWei: bigint;
  gasMarginPercent: number;
  feeBumpPercent: number;
  /** RECEIPT_WAIT_SECONDS in ms: the bound on all of this call's waits together. */
  receiptWaitMs: number;
  confirmations: number;
  /**
   * REORG_SAFE_DEPTH: how deep a transaction that is not a payment of the payout (its cancel, another
   * transaction at its nonce) must be before the payout is called cancelled or signed anew; default 1.
   */
  reorgSafeDepth?: number;
  /** Default 1 s. */
  pollIntervalMs?: number;
  /** A transaction unmined this long (since it was signed) is replaced with higher fees; default 180 s. */
  replaceAfterMs?: number;
  /** Told the wallet's balances read before a new transfer is signed (no extra RPC call). */
  onBalances?: (balances: Balances) => void;
  /** Told each time a new transaction of the payout is signed and stored, before it is broadcast. */
  onSigned?: (transaction: PayoutTransaction) => void;
  /** Told each time the node accepts a stored transaction of the payout (first send or rebroadcast). */
  onSent?: (transaction: PayoutTransaction) => void;
}

/** One call's state: the wait budget left, and whether an operator asked for a cancel. */
export interface AdvanceState {
  /** Unix ms after which no wait goes on. */
  waitUntil: number;
  cancelRequested: boolean;
}

/**
 * confirmed: a transfer of this payout is mined successfully at depth · pending: broadcast, not settled
 * yet: check again later · reverted: mined in this cycle and failed, or mined without moving the token ·
 * cancelled: an operator asked for a cancel and nothing of the payout can pay any more (its cancel or
 * another transaction holds its nonce at the reorg-safe depth, or nothing was ever signed: `txHash` null).
 */
export type TransferOutcome =
  | { kind: 'confirmed'; txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint }
  | { kind: 'pending'; txHash: string; sentAt: Date | null }
  | { kind: 'reverted'; txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint }
  | { kind: 'cancelled'; txHash: string | null };

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
 * changed since the payout was taken must not send another contract's tokens.
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

/**
 * The fence around a write that can move money: `work` runs in the database transaction that first
 * proves the lease (`fencePayout`), so it happens only while this delivery holds the payout.
 */
export function fenced<T>(
  sql: SqlClient,
  lease: Lease,
  purpose: FencePurpose,
  work: (tx: SqlClient, payout: Payout) => Promise<T>,
): Promise<T> {
  return inTransaction(sql, async (tx) => work(tx, await fencePayout(tx, lease, purpose)));
}

/**
 * Renews the lease while a wait goes on, at most once a third of the lease; throws LEASE_LOST when another
 * delivery has it, so the wait stops at once.
 */
export function leaseKeeper(sql: SqlClient, lease: Lease): () => Promise<void> {
  let renewedAt = Date.now();
  return async () => {
    if (Date.now() - renewedAt < (lease.seconds * 1000) / 3) return;
    if (
      !(await renewLease(sql, {
        uniqueId: lease.uniqueId,
        leaseOwner: lease.owner,
        leaseSeconds: lease.seconds,
      }))
    ) {
      throw new HostpayError('LEASE_LOST', `payout ${lease.uniqueId}: the lease was lost while waiting`, {
        details: { uniqueId: lease.uniqueId },
      });
    }
    renewedAt = Date.now();
  };
}

/** Whether `error` is the HostpayError of `code`. */
export function isCode(error: unknown, code: HostpayError['code']): boolean {
  return error instanceof HostpayError && error.code === code;
}
