/** Gas limits (docs/architecture.md, "The flow"; setting GAS_LIMIT_MARGIN_PERCENT). */
import { getAddress } from 'ethers';
import type { Asset } from '../assets.js';
import type { ChainClient } from './client.js';
import { encodeTokenTransfer } from './erc20.js';
import { quantity } from './rpc.js';
import { NATIVE_TRANSFER_GAS } from './transfer.js';

/**
 * The node's estimate for the token `transfer` from the hot wallet, plus `marginPercent` (rounded up): a
 * balance that changes between estimate and mining can change the gas used. A transfer that would
 * revert fails here, before anything is signed (CALL_EXCEPTION → TRANSACTION_REVERTED_PERMANENT).
 */
export async function estimateTokenGas(
  chain: ChainClient,
  params: { token: string; to: string; amount: bigint; marginPercent: number },
): Promise<bigint> {
  const estimate = quantity(
    await chain.provider.send('eth_estimateGas', [
      {
        from: chain.address,
        to: getAddress(params.token),
        data: encodeTokenTransfer(getAddress(params.to), params.amount),
      },
    ]),
    'gas estimate',
  );
  return withMargin(estimate, params.marginPercent);
}

/** The gas limit of a payout: 21 000 for ETH (no call), the margined estimate for a token. */
export function estimateTransferGas(
  chain: ChainClient,
  asset: Asset,
  params: { to: string; amount: bigint; marginPercent: number },
): Promise<bigint> {
  if (asset.kind === 'native') return Promise.resolve(NATIVE_TRANSFER_GAS);
  return estimateTokenGas(chain, { token: asset.address, ...params });
}

export function withMargin(gas: bigint, marginPercent: number): bigint {
  const percent = BigInt(Math.max(0, Math.ceil(marginPercent)));
  return (gas * (100n + percent) + 99n) / 100n;
}
