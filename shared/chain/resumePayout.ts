/**
 * A payout that already has signed transactions (DESIGN.md §3.1, §4 step 3): find which is mined; if none,
 * rebroadcast the same bytes, or replace them at the same nonce with higher fees when stuck; never a new
 * nonce while one of them may still be mined.
 */
import { classifyError } from '../classifier.js';
import { markTransactionReorged, type PayoutTransaction, type SqlClient } from '../db/index.js';
import type { ChainClient } from './client.js';
import { readBaseFee } from './fees.js';
import { readMinedNonce } from './nonce.js';
import {
  awaitGroup,
  broadcastStored,
  type PayoutStep,
  recordMined,
  settle,
  storeSigned,
} from './payoutBroadcast.js';
import { DEFAULT_REPLACE_AFTER_MS, feePolicy, type TransferPayoutParams } from './payoutParams.js';
import { checkConfirmation, findMinedTransaction, getReceipt, type MinedReceipt } from './receipt.js';
import { buildCancellation, buildReplacement } from './replace.js';
import { signTransaction } from './sign.js';

/** The stored transactions at the highest nonce, oldest first: the ones that can still decide the payout. */
export function liveGroup(stored: readonly PayoutTransaction[]): PayoutTransaction[] {
  const nonce = Math.max(...stored.map((t) => t.nonce));
  return stored.filter((t) => t.nonce === nonce).sort((a, b) => a.id - b.id);
}

/**
 * Whether a stored transaction of the payout may still be mined (DESIGN.md §3.1): while true, an attempt
 * that failed must schedule a check, never fail the payout or sign anew. False when nothing was signed, when
 * the highest nonce's outcome is recorded as mined, or when that nonce is used on chain by none of them
 * (at most two calls). A rejection (node unreachable) must be read as true.
 */
export async function mayStillBeMined(
  chain: ChainClient,
  stored: readonly PayoutTransaction[],
): Promise<boolean> {
  if (stored.length === 0) return false;
  const group = liveGroup(stored);
  if (group.some((t) => t.status === 'mined')) return false;
  if ((await readMinedNonce(chain)) <= group[0]!.nonce) return true;
  const mined = await findMinedTransaction(
    chain,
    group.map((t) => t.hash),
  );
  return mined !== null;
}

/** Looks the payout's transactions up on chain and moves the payout on; see the module comment. */
export async function resumePayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  stored: readonly PayoutTransaction[],
): Promise<PayoutStep> {
  const cancelRequested = params.payout.status === 'cancelled';
  const group = liveGroup(stored);
  const liveNonce = group[0]!.nonce;
  // The count is read with the receipts: a receipt read after it cannot miss a transaction it counted.
  const [minedCount, receipts] = await Promise.all([
    readMinedNonce(chain),
    Promise.all(stored.map((t) => getReceipt(chain, t.hash))),
  ]);
  for (const [i, t] of stored.entries()) {
    const receipt = receipts[i] ?? null;
    if (t.status === 'mined' && (receipt === null || receipt.blockHash !== t.minedBlockHash)) {
      await markTransactionReorged(sql, { hash: t.hash });
    }
  }

  // A transfer of this payout mined at any nonce is the payment, whatever happened since.
  const paidIndex = stored.findIndex((t, i) => t.kind !== 'cancel' && receipts[i] != null);
  const liveIndex = stored.findIndex((t, i) => t.nonce === liveNonce && receipts[i] != null);
  const index = paidIndex >= 0 ? paidIndex : liveIndex;
  if (index >= 0) {
    const tx = stored[index]!;
    const sameNonce = stored.filter((t) => t.nonce === tx.nonce);
    return settleMined(chain, sql, params, sameNonce, receipts[index]!, cancelRequested);
  }

  if (minedCount > liveNonce) {
    // Used on chain, by nothing stored here: unless one of ours was mined this very moment, none ever can be.
    const late = await findMinedTransaction(
      chain,
      group.map((t) => t.hash),
    );
    return late === null ? { kind: 'resend' } : { kind: 'look_again' };
  }

  const newest = group[group.length - 1]!;
  const baseFeePerGas = await readBaseFee(chain);
  const stuck =
    newest.maxFeePerGas < baseFeePerGas ||
    Date.now() - newest.createdAt.getTime() >= (params.replaceAfterMs ?? DEFAULT_REPLACE_AFTER_MS);
  let toSend = newest;
  if (stuck) {
    const replacement = await storeReplacement(chain, sql, params, newest, baseFeePerGas);
    if (replacement !== null) toSend = replacement;
  }
  const { outcome, transaction } = await broadcastStored(chain, sql, params, toSend);
  if (outcome === 'nonce_used') return { kind: 'look_again' };
  const waitingOn = group.filter((t) => t.hash !== transaction.hash).concat(transaction);
  return awaitGroup(chain, sql, params, waitingOn, { cancelRequested });
}

/**
 * Signs and stores the newest transaction again with bumped fees (a cancellation stays a cancellation).
 * At the fee cap there is nothing to bump to: null, and the same bytes are rebroadcast instead.
 */
async function storeReplacement(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  newest: PayoutTransaction,
  baseFeePerGas: bigint,
): Promise<PayoutTransaction | null> {
  const build = newest.kind === 'cancel' ? buildCancellation : buildReplacement;
  let unsigned: ReturnType<typeof build>;
  try {
    unsigned = build(newest.rawTransaction, { baseFeePerGas, policy: feePolicy(params) });
  } catch (error) {
    if (classifyError(error).code === 'GAS_PRICE_SPIKE') return null;
    throw error;
  }
  const signed = await signTransaction(chain, unsigned);
  const kind = newest.kind === 'cancel' ? 'cancel' : 'replacement';
  return storeSigned(chain, sql, { uniqueId: params.payout.uniqueId, signed, kind });
}

/** A mined transaction of the payout: recorded, then settled at depth, or waited for while shallow. */
async function settleMined(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  sameNonce: readonly PayoutTransaction[],
  receipt: MinedReceipt,
  cancelRequested: boolean,
): Promise<PayoutStep> {
  await recordMined(sql, receipt);
  const check = await checkConfirmation(chain, receipt, { confirmations: params.confirmations });
  if (check.state === 'confirmed') return settle(chain, params, sameNonce, check.receipt, cancelRequested);
  return awaitGroup(chain, sql, params, sameNonce, { cancelRequested });
}
