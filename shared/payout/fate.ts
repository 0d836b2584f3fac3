/**
 * Whether a nonce of the payout can still pay (docs/architecture.md, "Provably dead"): judged from the
 * account state at the reorg-safe depth and the body of the block that used the nonce, never from a missing
 * receipt, which a lagging node also gives.
 */
import type { ChainClient } from '../chain/client.js';
import { findNonceTransaction } from '../chain/nonce.js';
import { readBlockNumber } from '../chain/receipt.js';
import type { PayoutTransaction } from '../db/index.js';

/**
 * dead: a transaction that is no payment of this payout (its cancel, a transfer mined and reverted, or one
 * hostpay never signed) used the nonce at the reorg-safe depth · open: the nonce is
 * not used that deep yet, or a transfer of the payout used it (its receipt is then to be read, not guessed).
 */
export type NonceFate = { kind: 'dead'; takenBy: string } | { kind: 'open' };

/**
 * `group`: the payout's stored transactions at one nonce; `notPayments`: hashes among them known to pay
 * nothing (`paysNothing`); `fromBlock`: a block at or below the one that
 * used the nonce, when known (a receipt's), to shorten the search.
 */
export async function nonceFate(
  chain: ChainClient,
  params: {
    group: readonly PayoutTransaction[];
    notPayments: ReadonlySet<string>;
    reorgSafeDepth: number;
    fromBlock?: number;
  },
): Promise<NonceFate> {
  const nonce = params.group[0]!.nonce;
  const safeBlock = (await readBlockNumber(chain)) - Math.max(1, params.reorgSafeDepth) + 1;
  if (safeBlock < 0) return { kind: 'open' };
  const used = await findNonceTransaction(chain, {
    nonce,
    atBlock: safeBlock,
    ...(params.fromBlock === undefined ? {} : { fromBlock: Math.min(params.fromBlock, safeBlock) }),
  });
  if (used === null) return { kind: 'open' };
  const ours = params.group.find((t) => t.hash === used.hash);
  if (ours && !params.notPayments.has(ours.hash)) return { kind: 'open' };
  return { kind: 'dead', takenBy: used.hash };
}

/** A cancel, or a transaction recorded as mined and reverted: whatever happens to it, it pays nothing. */
export function paysNothing(t: PayoutTransaction): boolean {
  return t.kind === 'cancel' || t.receiptStatus === 0;
}

/** The stored transactions grouped by nonce, lowest nonce first, each group oldest first. */
export function nonceGroups(stored: readonly PayoutTransaction[]): PayoutTransaction[][] {
  const byNonce = new Map<number, PayoutTransaction[]>();
  for (const t of [...stored].sort((a, b) => a.nonce - b.nonce || a.id - b.id)) {
    byNonce.set(t.nonce, [...(byNonce.get(t.nonce) ?? []), t]);
  }
  return [...byNonce.values()];
}

/** The stored transactions at the highest nonce, oldest first: the ones that can still decide the payout. */
export function liveGroup(stored: readonly PayoutTransaction[]): PayoutTransaction[] {
  return nonceGroups(stored).at(-1) ?? [];
}

/**
 * Whether anything stored for the payout may still pay it: a transfer or replacement whose nonce is not
 * provably dead. Cancels alone never pay. While true, an attempt that failed must schedule a check, never
 * fail the payout or sign anew; when false, nothing of it can ever be mined as a payment. A rejection (node
 * unreachable) must be read as true.
 */
export async function mayStillPay(
  chain: ChainClient,
  stored: readonly PayoutTransaction[],
  params: { reorgSafeDepth: number },
): Promise<boolean> {
  for (const group of nonceGroups(stored)) {
    if (!group.some((t) => t.kind !== 'cancel')) continue;
    const notPayments = new Set(group.filter(paysNothing).map((t) => t.hash));
    const minedAt = group.find((t) => t.minedBlockNumber !== null)?.minedBlockNumber ?? undefined;
    const fate = await nonceFate(chain, {
      group,
      notPayments,
      reorgSafeDepth: params.reorgSafeDepth,
      ...(minedAt === undefined ? {} : { fromBlock: minedAt }),
    });
    if (fate.kind !== 'dead') return true;
  }
  return false;
}
