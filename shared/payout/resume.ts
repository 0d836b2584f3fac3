/**
 * A payout that already has signed transactions: find which is mined; if none, rebroadcast the same bytes,
 * replace them at the same nonce with higher fees when stuck, or cancel them when an operator asked; a new
 * nonce only once every stored transaction is provably dead (docs/architecture.md, "Provably dead").
 */
import type { ChainClient } from '../chain/client.js';
import { readBaseFee } from '../chain/fees.js';
import { readMinedNonce, readPendingNonce } from '../chain/nonce.js';
import { checkConfirmation, getReceipt, type MinedReceipt } from '../chain/receipt.js';
import { buildCancellation, buildReplacement } from '../chain/replace.js';
import { signTransaction } from '../chain/sign.js';
import { classifyError } from '../classifier/index.js';
import { markTransactionReorged, type PayoutTransaction, type SqlClient } from '../db/index.js';
import {
  awaitGroup,
  broadcastStored,
  type PayoutStep,
  paysPayout,
  pendingOutcome,
  recordMined,
  settle,
  storeSigned,
} from './broadcast.js';
import { liveGroup, nonceFate } from './fate.js';
import { fillNonceGaps } from './gaps.js';
import {
  type AdvanceState,
  DEFAULT_REPLACE_AFTER_MS,
  feePolicy,
  fenced,
  type TransferPayoutParams,
} from './params.js';

/** Looks the payout's transactions up on chain and moves the payout on; see the module comment. */
export async function resumePayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  stored: readonly PayoutTransaction[],
  state: AdvanceState,
): Promise<PayoutStep> {
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
  const receiptOf = (t: PayoutTransaction) => receipts[stored.indexOf(t)] ?? null;

  // A payment of this payout mined at any nonce, whatever happened since; or this cycle's transfer mined
  // without paying (reverted). A revert of an earlier cycle is history: it used its nonce, nothing more.
  const decisive = stored.find((t) => {
    const receipt = receiptOf(t);
    if (receipt === null || t.kind === 'cancel') return false;
    return t.cycle === params.payout.cycle || paysPayout(chain, params, receipt);
  });
  if (decisive) {
    const sameNonce = stored.filter((t) => t.nonce === decisive.nonce);
    return settleMined(chain, sql, params, sameNonce, receiptOf(decisive)!, state);
  }

  // The live nonce is used by something that pays nothing (its cancel, a revert of an earlier cycle) or by a
  // transaction found by no stored hash: dead only once that is so at the reorg-safe depth.
  const minedHere = group.find((t) => receiptOf(t) !== null);
  if (minedHere || minedCount > liveNonce) {
    const receipt = minedHere ? receiptOf(minedHere)! : null;
    if (receipt) await recordMined(sql, receipt);
    const fate = await nonceFate(chain, {
      group,
      notPayments: new Set(
        group.filter((t) => t.kind === 'cancel' || receiptOf(t) !== null).map((t) => t.hash),
      ),
      reorgSafeDepth: params.reorgSafeDepth ?? 1,
      ...(receipt ? { fromBlock: receipt.blockNumber } : {}),
    });
    if (fate.kind === 'open') return pendingOutcome(group, receipt?.hash);
    return state.cancelRequested ? { kind: 'cancelled', txHash: fate.takenBy } : { kind: 'resend' };
  }

  if (minedCount < liveNonce) {
    // Waiting behind other nonces: any the node has neither mined nor pooled would hold this one forever.
    const pooled = await readPendingNonce(chain);
    if (pooled < liveNonce) await fillNonceGaps(chain, sql, { fromNonce: pooled, toNonce: liveNonce });
  }
  const newest = group[group.length - 1]!;
  const baseFeePerGas = await readBaseFee(chain);
  let toSend: PayoutTransaction | null = newest;
  if (state.cancelRequested && newest.kind !== 'cancel') {
    // The operator's cancel: a 0-value self-transfer at this nonce that outbids the transfer. At the fee
    // cap there is none; the transfer is then left to the chain, never rebroadcast.
    toSend = await storeNewer(chain, sql, params, newest, { baseFeePerGas, cancel: true });
  } else {
    const stuck =
      newest.maxFeePerGas < baseFeePerGas ||
      Date.now() - newest.createdAt.getTime() >= (params.replaceAfterMs ?? DEFAULT_REPLACE_AFTER_MS);
    if (stuck)
      toSend = (await storeNewer(chain, sql, params, newest, { baseFeePerGas, cancel: false })) ?? newest;
  }
  const waitingOn = [...group];
  if (toSend !== null) {
    const { outcome, transaction } = await broadcastStored(chain, sql, params, toSend);
    if (outcome === 'nonce_used') return { kind: 'look_again' };
    waitingOn.splice(0, waitingOn.length, ...group.filter((t) => t.hash !== transaction.hash), transaction);
  }
  return awaitGroup(chain, sql, params, waitingOn, state);
}

/**
 * Signs and stores, inside the fence, a transaction at `newest`'s nonce with bumped fees: a cancellation
 * when asked or when `newest` is one, else the same transfer. At the fee cap there is nothing to bump to:
 * null. A transfer's replacement is refused by the fence once a cancel is requested (CANCEL_REQUESTED).
 */
async function storeNewer(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  newest: PayoutTransaction,
  options: { baseFeePerGas: bigint; cancel: boolean },
): Promise<PayoutTransaction | null> {
  const cancel = options.cancel || newest.kind === 'cancel';
  const build = cancel ? buildCancellation : buildReplacement;
  let unsigned: ReturnType<typeof build>;
  try {
    unsigned = build(newest.rawTransaction, {
      baseFeePerGas: options.baseFeePerGas,
      policy: feePolicy(params),
    });
  } catch (error) {
    if (classifyError(error).code === 'GAS_PRICE_SPIKE') return null;
    throw error;
  }
  const stored = await fenced(sql, params.lease, cancel ? 'any' : 'transfer', async (tx) => {
    const signed = await signTransaction(chain, unsigned);
    const kind = cancel ? 'cancel' : 'replacement';
    return storeSigned(chain, tx, { uniqueId: params.payout.uniqueId, signed, kind });
  });
  params.onSigned?.(stored);
  return stored;
}

/** A mined transaction of the payout: recorded, then settled at depth, or waited for while shallow. */
async function settleMined(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  sameNonce: readonly PayoutTransaction[],
  receipt: MinedReceipt,
  state: AdvanceState,
): Promise<PayoutStep> {
  await recordMined(sql, receipt);
  const check = await checkConfirmation(chain, receipt, { confirmations: params.confirmations });
  if (check.state === 'confirmed') return settle(chain, params, sameNonce, check.receipt);
  return awaitGroup(chain, sql, params, sameNonce, state);
}
