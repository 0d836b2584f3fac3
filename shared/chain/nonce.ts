/** The chain's side of the nonce (DESIGN.md §4: reconciled with the database counter). */
import { getAddress } from 'ethers';
import type { ChainClient } from './client.js';
import { smallQuantity } from './rpc.js';

/** The wallet's transaction count including the node's pool: the next nonce the node expects. */
export async function readPendingNonce(chain: ChainClient, address: string = chain.address): Promise<number> {
  return smallQuantity(
    await chain.provider.send('eth_getTransactionCount', [getAddress(address), 'pending']),
    'transaction count',
  );
}

/** The wallet's mined transaction count: every nonce below it is used on chain. */
export async function readMinedNonce(chain: ChainClient, address: string = chain.address): Promise<number> {
  return smallQuantity(
    await chain.provider.send('eth_getTransactionCount', [getAddress(address), 'latest']),
    'transaction count',
  );
}
