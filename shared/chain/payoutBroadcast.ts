/** The steps send and resume share: store before broadcast, broadcast, wait, settle (DESIGN.md §3.1, §4). */
import { classifyError } from '../classifier.js';
import {
  markTransactionMined,
  markTransactionSent,
  type PayoutTransaction,
  recordSignedTransaction,
  type SqlClient,
  type TransactionKind,
} from '../db/index.js';
import { type BroadcastOutcome, broadcastRawTransaction } from './broadcast.js';
import type { ChainClient } from './client.js';
import type { TransferOutcome, TransferPayoutParams } from './payoutParams.js';
import { type MinedReceipt, waitForReceipt } from './receipt.js';
import { parseSignedTransaction, type SignedTransaction, signTransaction } from './sign.js';
import { NATIVE_TRANSFER_GAS } from './transfer.js';
import { receiptShowsTransfer } from './transferLog.js';

/**
 * What the payout needs next, inside this module: an outcome for the caller, `resend` (the live nonce was
 * used without paying: sign the transfer again at a new nonce), or `look_again` (the node says the nonce is
 * used: read the receipts again).
 */
export type PayoutStep = TransferOutcome | { kind: 'resend' } | { kind: 'look_again' };

/** Stores a signed transaction of the payout; call before broadcasting it. */
export function storeSigned(
  chain: ChainClient,
  sql: SqlClient,
  params: { uniqueId: string; signed: SignedTransaction; kind: TransactionKind },
): Promise<PayoutTransaction> {
  const { signed } = params;
  return recordSignedTransaction(sql, {
    uniqueId: params.uniqueId,
    chainId: chain.chainId,
    fromAddress: chain.address,
    hash: signed.hash,
    nonce: signed.nonce,
    kind: params.kind,
    maxFeePerGas: signed.maxFeePerGas,
    maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
    gasLimit: signed.gasLimit,
    rawTransaction: signed.raw,
  });
}

/**
 * Broadcasts stored bytes and records that the node took them. A refusal that ends the payout (not
 * retryable) would leave its nonce as a hole in front of every later payout of the wallet, and its
 * signed bytes could still be broadcast by someone: the nonce is taken at once by a 0-value
 * self-transfer, and the refusal is thrown.
 */
export async function broadcastStored(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  stored: PayoutTransaction,
): Promise<{ outcome: BroadcastOutcome; transaction: PayoutTransaction }> {
  try {
    const { outcome } = await broadcastRawTransaction(chain, stored.rawTransaction);
    if (outcome === 'nonce_used') return { outcome, transaction: stored };
    const transaction = await markTransactionSent(sql, { hash: stored.hash });
    params.onSent?.(transaction);
    return { outcome, transaction };
  } catch (error) {
    if (!classifyError(error).retryable && stored.kind !== 'cancel') {
      await takeNonceBack(chain, sql, params, stored).catch(() => undefined);
    }
    throw error;
  }
}

async function takeNonceBack(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  refused: PayoutTransaction,
): Promise<void> {
  // The node refused the transfer, so there is nothing to outbid: the same fees, which fit under the cap.
  const transfer = parseSignedTransaction(refused.rawTransaction);
  const signed = await signTransaction(chain, {
    type: 2,
    chainId: transfer.chainId,
    nonce: transfer.nonce,
    to: chain.address,
    value: 0n,
    data: '0x',
    gasLimit: NATIVE_TRANSFER_GAS,
    maxFeePerGas: transfer.maxFeePerGas,
    maxPriorityFeePerGas: transfer.maxPriorityFeePerGas,
  });
  const cancel = await storeSigned(chain, sql, { uniqueId: params.payout.uniqueId, signed, kind: 'cancel' });
  await broadcastRawTransaction(chain, cancel.rawTransaction);
  await markTransactionSent(sql, { hash: cancel.hash });
}

/** Records the receipt on the stored transaction (and marks the others at its nonce replaced). */
export function recordMined(sql: SqlClient, receipt: MinedReceipt): Promise<PayoutTransaction> {
  return markTransactionMined(sql, {
    hash: receipt.hash,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    receiptStatus: receipt.status,
    gasUsed: receipt.gasUsed,
  });
}

/**
 * Waits up to the attempt's bound for any of `group` (one nonce: a transfer and its replacements or
 * cancellation) at the configured depth, then settles it.
 */
export async function awaitGroup(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  group: readonly PayoutTransaction[],
  options: { cancelRequested: boolean; timeoutMs?: number },
): Promise<PayoutStep> {
  const wait = await waitForReceipt(
    chain,
    group.map((t) => t.hash),
    {
      timeoutMs: options.timeoutMs ?? params.receiptWaitMs,
      confirmations: params.confirmations,
      pollIntervalMs: params.pollIntervalMs,
    },
  );
  if (wait.state === 'pending') return pendingOutcome(group, undefined);
  await recordMined(sql, wait.receipt);
  if (wait.state === 'mined') return pendingOutcome(group, wait.receipt.hash);
  return settle(chain, params, group, wait.receipt, options.cancelRequested);
}

/**
 * A receipt at depth: the payout's transfer (confirmed, or reverted when it failed or moved nothing), or its
 * cancellation (cancelled when asked for; otherwise the nonce is used and the transfer must be signed anew).
 */
export function settle(
  chain: ChainClient,
  params: TransferPayoutParams,
  group: readonly PayoutTransaction[],
  receipt: MinedReceipt,
  cancelRequested: boolean,
): PayoutStep {
  const tx = group.find((t) => t.hash === receipt.hash);
  const mined = { txHash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash };
  if (tx?.kind === 'cancel') return cancelRequested ? { kind: 'cancelled', ...mined } : { kind: 'resend' };
  const { payout, asset } = params;
  const paid = receiptShowsTransfer(receipt, asset, {
    from: chain.address,
    to: payout.recipient,
    amount: payout.amountBaseUnits,
  });
  return { kind: paid ? 'confirmed' : 'reverted', ...mined, gasUsed: receipt.gasUsed };
}

export function pendingOutcome(
  group: readonly PayoutTransaction[],
  minedHash: string | undefined,
): TransferOutcome {
  const newest = group[group.length - 1]!;
  const sent = group.map((t) => t.sentAt).filter((at): at is Date => at !== null);
  const sentAt = sent.length === 0 ? null : new Date(Math.min(...sent.map((at) => at.getTime())));
  return { kind: 'pending', txHash: minedHash ?? newest.hash, sentAt };
}
