/** An operator's cancellation of a payout still pending on chain (DESIGN.md §4: cancel at the same nonce). */
import { listPayoutTransactions, type SqlClient } from '../db/index.js';
import type { ChainClient } from './client.js';
import { readBaseFee } from './fees.js';
import { awaitGroup, broadcastStored, storeSigned } from './payoutBroadcast.js';
import {
  checkPayoutAsset,
  feePolicy,
  type TransferOutcome,
  type TransferPayoutParams,
} from './payoutParams.js';
import { findMinedTransaction } from './receipt.js';
import { buildCancellation } from './replace.js';
import { liveGroup } from './resumePayout.js';
import { signTransaction } from './sign.js';

/**
 * nothing_sent: no transaction was ever signed, nothing to replace on chain · otherwise the outcome of the
 * race between the pending transfer and its 0-value self-transfer at the same nonce: `cancelled` when the
 * cancellation was mined, `confirmed` when the transfer won, `pending` when neither is mined within the
 * bound (check again with `transferPayout` on the cancelled payout, which records which of the two won).
 */
export type CancelOutcome = { kind: 'nothing_sent' } | TransferOutcome;

export async function cancelPayoutTransfer(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
): Promise<CancelOutcome> {
  checkPayoutAsset(chain, params);
  const stored = await listPayoutTransactions(sql, { uniqueId: params.payout.uniqueId });
  if (stored.length === 0) return { kind: 'nothing_sent' };
  const group = liveGroup(stored);
  const newest = group[group.length - 1]!;
  const mined = await findMinedTransaction(
    chain,
    group.map((t) => t.hash),
  );
  if (mined === null && newest.kind !== 'cancel') {
    const baseFeePerGas = await readBaseFee(chain);
    const signed = await signTransaction(
      chain,
      buildCancellation(newest.rawTransaction, { baseFeePerGas, policy: feePolicy(params) }),
    );
    const cancel = await storeSigned(chain, sql, {
      uniqueId: params.payout.uniqueId,
      signed,
      kind: 'cancel',
    });
    const { transaction } = await broadcastStored(chain, sql, params, cancel);
    group.push(transaction);
  }
  const step = await awaitGroup(chain, sql, params, group, { cancelRequested: true });
  if (step.kind === 'resend' || step.kind === 'look_again')
    throw new Error('unreachable: a requested cancel settles');
  return step;
}
