/** The steps send and resume share: store before broadcast (fenced), broadcast, wait, settle. */
import { type BroadcastOutcome, broadcastRawTransaction } from '../chain/broadcast.js';
import type { ChainClient } from '../chain/client.js';
import { receiptShowsTransfer } from '../chain/erc20.js';
import { type MinedReceipt, waitForReceipt } from '../chain/receipt.js';
import { buildTakeBack } from '../chain/replace.js';
import { type SignedTransaction, signTransaction } from '../chain/sign.js';
import { classifyError } from '../classifier/index.js';
import {
  markTransactionMined,
  markTransactionSent,
  type PayoutTransaction,
  recordSignedTransaction,
  type SqlClient,
  type TransactionKind,
} from '../db/index.js';
import {
  type AdvanceState,
  fenced,
  leaseKeeper,
  type TransferOutcome,
  type TransferPayoutParams,
} from './params.js';

/**
 * What the payout needs next, inside this module: an outcome for the caller, `resend` (every stored
 * transaction is provably dead: sign the transfer again at a new nonce), or `look_again` (the node says
 * the nonce is used, or a cancel is mined: read the receipts again).
 */
export type PayoutStep = TransferOutcome | { kind: 'resend' } | { kind: 'look_again' };

/** Stores a signed transaction of the payout; call inside the fence, before broadcasting it. */
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
 * self-transfer (fenced like any other signature), and the refusal is thrown.
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
  const cancel = await fenced(sql, params.lease, 'any', async (tx) => {
    const signed = await signTransaction(chain, buildTakeBack(refused.rawTransaction));
    return storeSigned(chain, tx, { uniqueId: params.payout.uniqueId, signed, kind: 'cancel' });
  });
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
 * Waits, within the call's budget and renewing the lease, for any of `group` (one nonce: a transfer and its
 * replacements or cancellation) at the configured depth, then settles it.
 */
export async function awaitGroup(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  group: readonly PayoutTransaction[],
  state: AdvanceState,
): Promise<PayoutStep> {
  const wait = await waitForReceipt(
    chain,
    group.map((t) => t.hash),
    {
      timeoutMs: Math.max(0, state.waitUntil - Date.now()),
      confirmations: params.confirmations,
      pollIntervalMs: params.pollIntervalMs,
      beforePause: leaseKeeper(sql, params.lease),
    },
  );
  if (wait.state === 'pending') return pendingOutcome(group, undefined);
  await recordMined(sql, wait.receipt);
  if (wait.state === 'mined') return pendingOutcome(group, wait.receipt.hash);
  return settle(chain, params, group, wait.receipt);
}

/**
 * A transfer's receipt at depth: confirmed when it moved the asset, reverted when it failed or moved
 * nothing. A cancel's receipt settles nothing here: whether the payout is dead is judged at the reorg-safe
 * depth by `resumePayout`, so the receipts are read again.
 */
export function settle(
  chain: ChainClient,
  params: TransferPayoutParams,
  group: readonly PayoutTransaction[],
  receipt: MinedReceipt,
): PayoutStep {
  const tx = group.find((t) => t.hash === receipt.hash);
  if (tx?.kind === 'cancel') return { kind: 'look_again' };
  const mined = { txHash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash };
  return {
    kind: paysPayout(chain, params, receipt) ? 'confirmed' : 'reverted',
    ...mined,
    gasUsed: receipt.gasUsed,
  };
}

/** Whether a receipt shows the payout's asset moved from the wallet to its recipient in its amount. */
export function paysPayout(chain: ChainClient, params: TransferPayoutParams, receipt: MinedReceipt): boolean {
  const { payout, asset } = params;
  return receiptShowsTransfer(receipt, asset, {
    from: chain.address,
    to: payout.recipient,
    amount: payout.amountBaseUnits,
  });
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
