/** Everything checked before a payout is signed (docs/architecture.md, "The flow"), read in one batch of calls. */
import type { Asset } from '../assets.js';
import { HostpayError } from '../errors.js';
import { type Balances, checkBalances, readBalances } from './balances.js';
import type { ChainClient } from './client.js';
import { computeFees, type FeePolicy, type Fees, readBaseFee } from './fees.js';
import { estimateTransferGas } from './gas.js';
import { readPendingNonce } from './nonce.js';
import { validateRecipient } from './recipient.js';

export interface PreflightParams {
  asset: Asset;
  /** The recipient as requested; validated here. */
  to: string;
  /** Base units, > 0. */
  amount: bigint;
  policy: FeePolicy;
  /** GAS_LIMIT_MARGIN_PERCENT for token transfers. */
  gasMarginPercent: number;
}

export interface Preflight {
  /** Checksummed recipient. */
  to: string;
  baseFeePerGas: bigint;
  fees: Fees;
  gasLimit: bigint;
  balances: Balances;
  /** The chain's pending transaction count, for `allocateNonce`. */
  chainPendingNonce: number;
}

/**
 * Validates the recipient and amount, then reads the base fee, the balances, the pending nonce and (for a
 * token) the gas estimate, all in one JSON-RPC batch, and refuses, before anything is signed:
 * INVALID_ADDRESS, INVALID_AMOUNT, GAS_PRICE_SPIKE (fees above the cap), INSUFFICIENT_FUNDS (token
 * balance, then ETH for amount and gas), and a token transfer that would revert.
 */
export async function preflightTransfer(chain: ChainClient, params: PreflightParams): Promise<Preflight> {
  const to = validateRecipient(params.to);
  if (params.amount <= 0n) throw new HostpayError('INVALID_AMOUNT', 'a payout amount must be above zero');
  if (params.asset.chainId !== chain.chainId) {
    throw new HostpayError(
      'UNSUPPORTED_CURRENCY',
      `${params.asset.symbol} is not configured for chain ${chain.chainId}`,
    );
  }
  const [baseFee, balances, nonce, gas] = await Promise.allSettled([
    readBaseFee(chain),
    readBalances(chain, params.asset),
    readPendingNonce(chain),
    estimateTransferGas(chain, params.asset, {
      to,
      amount: params.amount,
      marginPercent: params.gasMarginPercent,
    }),
  ]);
  if (baseFee.status === 'rejected') throw baseFee.reason;
  if (balances.status === 'rejected') throw balances.reason;
  if (nonce.status === 'rejected') throw nonce.reason;
  const fees = computeFees(baseFee.value, params.policy);
  // A token balance below the amount also makes the estimate revert: report the cause, not the symptom.
  checkBalances(
    { eth: balances.value.eth + 2n ** 255n, token: balances.value.token },
    { asset: params.asset, amount: params.amount, gasLimit: 0n, fees },
  );
  if (gas.status === 'rejected') throw gas.reason;
  checkBalances(balances.value, { asset: params.asset, amount: params.amount, gasLimit: gas.value, fees });
  return {
    to,
    baseFeePerGas: baseFee.value,
    fees,
    gasLimit: gas.value,
    balances: balances.value,
    chainPendingNonce: nonce.value,
  };
}
