/**
 * Nonce gaps (docs/architecture.md, "Nonces"): a nonce the database handed out whose transaction the node
 * has neither mined nor pooled (a process killed between a refusal and its take-back) holds back every later
 * transaction of the wallet. It is filled, never renumbered.
 */
import { broadcastRawTransaction } from '../chain/broadcast.js';
import type { ChainClient } from '../chain/client.js';
import { buildTakeBack } from '../chain/replace.js';
import { signTransaction } from '../chain/sign.js';
import { listWalletTransactionsInRange, markTransactionSent, type SqlClient } from '../db/index.js';
import { storeSigned } from './broadcast.js';

/** At most this many nonces are filled by one call; the next check goes on. */
const MAX_FILLED = 16;

export interface FilledNonce {
  nonce: number;
  hash: string;
  /** rebroadcast: the stored bytes went out again · cancelled: a 0-value self-transfer now holds the nonce. */
  how: 'rebroadcast' | 'cancelled';
}

/**
 * Fills the nonces in [`fromNonce`, `toNonce`): the newest stored bytes at a nonce go out again when they may
 * (a cancel, or a transfer of a payout still being worked on); otherwise, or when the node refuses them, a
 * 0-value self-transfer at that nonce at the same fees (nothing in the pool to outbid), stored with the
 * payout that owns the nonce before it is broadcast. A transfer of a failed or cancelled payout is never
 * sent again. A nonce with nothing stored is left alone (the database never hands one out without bytes).
 */
export async function fillNonceGaps(
  chain: ChainClient,
  sql: SqlClient,
  params: { fromNonce: number; toNonce: number },
): Promise<FilledNonce[]> {
  const toNonce = Math.min(params.toNonce, params.fromNonce + MAX_FILLED);
  const stored = await listWalletTransactionsInRange(sql, {
    chainId: chain.chainId,
    address: chain.address,
    fromNonce: params.fromNonce,
    toNonce,
  });
  const filled: FilledNonce[] = [];
  for (let nonce = params.fromNonce; nonce < toNonce; nonce++) {
    const newest = stored.find((t) => t.nonce === nonce);
    if (!newest) continue;
    const payoutLive = !['failed', 'cancelled', 'confirmed'].includes(newest.payoutStatus);
    if (newest.kind === 'cancel' || payoutLive) {
      try {
        await broadcastRawTransaction(chain, newest.rawTransaction);
        await markTransactionSent(sql, { hash: newest.hash });
        filled.push({ nonce, hash: newest.hash, how: 'rebroadcast' });
        continue;
      } catch {
        // Refused (the wallet cannot cover it any more, say): the nonce is taken back below.
      }
    }
    const signed = await signTransaction(chain, buildTakeBack(newest.rawTransaction));
    const cancel = await storeSigned(chain, sql, { uniqueId: newest.uniqueId, signed, kind: 'cancel' });
    await broadcastRawTransaction(chain, cancel.rawTransaction);
    await markTransactionSent(sql, { hash: cancel.hash });
    filled.push({ nonce, hash: cancel.hash, how: 'cancelled' });
  }
  return filled;
}
