/** Reads the chain itself to count what left the hot wallet: the ground truth the payout tests check. */
import type { JsonRpcProvider } from 'ethers';

/**
 * Transfers from `from` to `to` in every block so far: native transfers by `to`, token transfers by the
 * `transfer(address,uint256)` recipient in the calldata.
 */
export async function countTransfers(provider: JsonRpcProvider, from: string, to: string): Promise<number> {
  const latest = await provider.getBlockNumber();
  let count = 0;
  for (let b = 0; b <= latest; b++) {
    const block = await provider.getBlock(b, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from !== from) continue;
      if (tx.to === to) count++;
      else if (
        tx.data.startsWith('0xa9059cbb') &&
        tx.data.slice(34, 74).toLowerCase() === to.slice(2).toLowerCase()
      ) {
        count++;
      }
    }
  }
  return count;
}
