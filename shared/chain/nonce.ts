/** The chain's side of the nonce (docs/architecture.md, "Nonces"): counts, and who used a nonce. */
import { getAddress } from 'ethers';
import type { ChainClient } from './client.js';
import { hexQuantity, smallQuantity } from './rpc.js';

/** A block number, or one of the node's tags. */
export type BlockTag = number | 'latest' | 'pending';

function tag(block: BlockTag): string {
  return typeof block === 'number' ? hexQuantity(BigInt(block)) : block;
}

/** The wallet's transaction count at `block`: every nonce below it is used on chain as of that block. */
export async function readNonceAt(
  chain: ChainClient,
  block: BlockTag,
  address = chain.address,
): Promise<number> {
  return smallQuantity(
    await chain.provider.send('eth_getTransactionCount', [getAddress(address), tag(block)]),
    'transaction count',
  );
}

/** The wallet's transaction count including the node's pool: the next nonce the node expects. */
export function readPendingNonce(chain: ChainClient, address: string = chain.address): Promise<number> {
  return readNonceAt(chain, 'pending', address);
}

/** The wallet's mined transaction count: every nonce below it is used on chain. */
export function readMinedNonce(chain: ChainClient, address: string = chain.address): Promise<number> {
  return readNonceAt(chain, 'latest', address);
}

/**
 * The transaction that used the wallet's `nonce` in a block at or below `atBlock`, found from the account
 * state and the block's body, never from the receipt index (a lagging node can miss a receipt, not a block):
 * the first block whose count passes `nonce` is found by bisection (about log2(atBlock) count look-ups,
 * from `fromBlock` when a lower bound is known), then its transactions are read. null while the nonce is
 * unused at `atBlock`.
 */
export async function findNonceTransaction(
  chain: ChainClient,
  params: { nonce: number; atBlock: number; fromBlock?: number },
): Promise<{ hash: string; blockNumber: number } | null> {
  if ((await readNonceAt(chain, params.atBlock)) <= params.nonce) return null;
  let lo = Math.max(0, params.fromBlock ?? 0);
  let hi = params.atBlock;
  if (lo > 0 && (await readNonceAt(chain, lo - 1)) > params.nonce) lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await readNonceAt(chain, mid)) > params.nonce) hi = mid;
    else lo = mid + 1;
  }
  const block = (await chain.provider.send('eth_getBlockByNumber', [tag(lo), true])) as {
    transactions?: { hash: string; from: string; nonce: string }[];
  } | null;
  const found = (block?.transactions ?? []).find(
    (t) => getAddress(t.from) === chain.address && smallQuantity(t.nonce, 'nonce') === params.nonce,
  );
  if (!found)
    throw new Error(`block ${lo} moved the count past nonce ${params.nonce} without its transaction`);
  return { hash: found.hash.toLowerCase(), blockNumber: lo };
}
