/** The payout transaction itself (docs/architecture.md, "Invariants and where they are enforced": the right asset; §4 step 4: EIP-1559). */
import { getAddress } from 'ethers';
import type { Asset } from '../assets.js';
import { HostpayError } from '../errors.js';
import type { ChainClient } from './client.js';
import { encodeTokenTransfer } from './erc20.js';
import type { Fees } from './fees.js';

/** Everything signed, nothing left for a provider to fill in. */
export interface UnsignedTransaction {
  type: 2;
  chainId: number;
  nonce: number;
  to: string;
  value: bigint;
  data: string;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface TransferParams {
  /** A validated recipient (`validateRecipient`). */
  to: string;
  /** Base units of the asset, > 0. */
  amount: bigint;
  nonce: number;
  fees: Fees;
  gasLimit: bigint;
}

/** A plain ETH transfer needs exactly this much gas; `eth` sends no calldata, so no contract code runs for it. */
export const NATIVE_TRANSFER_GAS = 21_000n;

/**
 * The payout as an EIP-1559 transaction. `native`: value = amount to the recipient, empty calldata.
 * `erc20`: `transfer(to, amount)` to the token contract with value 0. The asset must belong to this chain.
 */
export function buildTransferTransaction(
  chain: ChainClient,
  asset: Asset,
  params: TransferParams,
): UnsignedTransaction {
  if (asset.chainId !== chain.chainId) {
    throw new HostpayError(
      'UNSUPPORTED_CURRENCY',
      `${asset.symbol} is configured for chain ${asset.chainId}, not ${chain.chainId}`,
    );
  }
  if (params.amount <= 0n) throw new HostpayError('INVALID_AMOUNT', 'a payout amount must be above zero');
  if (!Number.isSafeInteger(params.nonce) || params.nonce < 0)
    throw new RangeError(`bad nonce ${params.nonce}`);
  const to = getAddress(params.to);
  const common = {
    type: 2 as const,
    chainId: chain.chainId,
    nonce: params.nonce,
    gasLimit: params.gasLimit,
    maxFeePerGas: params.fees.maxFeePerGas,
    maxPriorityFeePerGas: params.fees.maxPriorityFeePerGas,
  };
  if (asset.kind === 'native') return { ...common, to, value: params.amount, data: '0x' };
  return {
    ...common,
    to: getAddress(asset.address),
    value: 0n,
    data: encodeTokenTransfer(to, params.amount),
  };
}
