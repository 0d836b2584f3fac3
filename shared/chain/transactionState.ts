/** What the node says of a stored transaction now, for an operator's view (docs/architecture.md, "The flow" adminApi show). */
import type { ChainClient } from './client.js';
import { getReceipt } from './receipt.js';

export type ChainState =
  | { state: 'mined'; blockNumber: number; success: boolean }
  | { state: 'pending' }
  | { state: 'unknown' };

/** mined (with its block and status), pending (in the node's pool) or unknown to the node; two calls at most. */
export async function readTransactionState(chain: ChainClient, hash: string): Promise<ChainState> {
  const receipt = await getReceipt(chain, hash);
  if (receipt) return { state: 'mined', blockNumber: receipt.blockNumber, success: receipt.status === 1 };
  const pooled = await chain.provider.send('eth_getTransactionByHash', [hash]);
  return pooled === null ? { state: 'unknown' } : { state: 'pending' };
}
