/** Replacing a stuck transaction at its nonce (docs/architecture.md, "The flow": fee bumps and cancellation). */
import { bumpFees, type FeePolicy } from './fees.js';
import { parseSignedTransaction } from './sign.js';
import { NATIVE_TRANSFER_GAS, type UnsignedTransaction } from './transfer.js';

export interface ReplacementParams {
  /** The latest base fee (`readBaseFee`). */
  baseFeePerGas: bigint;
  policy: FeePolicy;
}

/**
 * The same transfer (recipient, value, calldata, gas limit, nonce) with higher fees (`bumpFees`; at the
 * cap: GAS_PRICE_SPIKE). `previousRaw` is the stored signed transaction with the highest fees so far.
 */
export function buildReplacement(previousRaw: string, params: ReplacementParams): UnsignedTransaction {
  const previous = parseSignedTransaction(previousRaw);
  const fees = bumpFees(previous, params.baseFeePerGas, params.policy);
  return {
    type: 2,
    chainId: previous.chainId,
    nonce: previous.nonce,
    to: previous.to,
    value: previous.value,
    data: previous.data,
    gasLimit: previous.gasLimit,
    ...fees,
  };
}

/**
 * A 0-value transfer from the wallet to itself at the same nonce with higher fees: once mined, no
 * transaction of the payout can be.
 */
export function buildCancellation(previousRaw: string, params: ReplacementParams): UnsignedTransaction {
  const previous = parseSignedTransaction(previousRaw);
  return { ...buildTakeBack(previousRaw), ...bumpFees(previous, params.baseFeePerGas, params.policy) };
}

/**
 * A 0-value transfer from the wallet to itself at the same nonce and the same fees: for a nonce whose
 * transaction the node refused or never held, where there is nothing to outbid (and the fees fit the cap).
 */
export function buildTakeBack(previousRaw: string): UnsignedTransaction {
  const previous = parseSignedTransaction(previousRaw);
  return {
    type: 2,
    chainId: previous.chainId,
    nonce: previous.nonce,
    to: previous.from,
    value: 0n,
    data: '0x',
    gasLimit: NATIVE_TRANSFER_GAS,
    maxFeePerGas: previous.maxFeePerGas,
    maxPriorityFeePerGas: previous.maxPriorityFeePerGas,
  };
}
