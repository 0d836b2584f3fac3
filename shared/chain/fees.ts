/** EIP-1559 fees under the configured cap (docs/architecture.md, "The flow" fee bumps; settings MAX_FEE_PER_GAS_GWEI, MAX_PRIORITY_FEE_PER_GAS_GWEI, FEE_BUMP_PERCENT). */
import { formatUnits } from 'ethers';
import { HostpayError } from '../errors.js';
import type { ChainClient } from './client.js';
import { quantity } from './rpc.js';

/** The operator's fee settings, in wei per gas. */
export interface FeePolicy {
  /** The cap: no transaction is signed with a higher `maxFeePerGas`. */
  maxFeePerGas: bigint;
  /** The tip offered. */
  maxPriorityFeePerGas: bigint;
  /** Increase of a replacement over the transaction it replaces; at least 10 is used (the nodes' minimum). */
  feeBumpPercent: number;
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** geth, Erigon, Nethermind and Besu refuse a replacement that raises either fee by less than 10 %. */
export const MIN_FEE_BUMP_PERCENT = 10;

/** The base fee of the latest block: one `eth_getBlockByNumber` call. */
export async function readBaseFee(chain: ChainClient): Promise<bigint> {
  const block = (await chain.provider.send('eth_getBlockByNumber', ['latest', false])) as {
    baseFeePerGas?: unknown;
  } | null;
  if (!block || block.baseFeePerGas === undefined) {
    throw new HostpayError(
      'WEB3_INITIALIZATION_FAILED',
      'the latest block has no base fee: not an EIP-1559 chain',
    );
  }
  return quantity(block.baseFeePerGas, 'baseFeePerGas');
}

/**
 * Fees for a new transaction: `maxFeePerGas` = 2 × base fee + tip (room for six full blocks of rising
 * fees), lowered to the cap when that is above it. When even base fee + tip is above the cap the
 * transaction could not be mined now: GAS_PRICE_SPIKE, retried later.
 */
export function computeFees(baseFeePerGas: bigint, policy: FeePolicy): Fees {
  const tip = policy.maxPriorityFeePerGas;
  if (baseFeePerGas + tip > policy.maxFeePerGas) {
    throw gasPriceSpike(baseFeePerGas + tip, policy.maxFeePerGas, {
      baseFeePerGas: baseFeePerGas.toString(),
    });
  }
  return { maxFeePerGas: min(2n * baseFeePerGas + tip, policy.maxFeePerGas), maxPriorityFeePerGas: tip };
}

/** Reads the base fee and computes fees for a new transaction. */
export async function readFees(chain: ChainClient, policy: FeePolicy): Promise<Fees> {
  return computeFees(await readBaseFee(chain), policy);
}

/**
 * Fees for a replacement at the same nonce: each fee raised by the bump percent (at least 10 %, rounded
 * up), and at least what a new transaction would offer now; lowered to the cap, but a raise below the
 * nodes' 10 % minimum would be refused, so reaching the cap is GAS_PRICE_SPIKE (alert, do not bump).
 */
export function bumpFees(previous: Fees, baseFeePerGas: bigint, policy: FeePolicy): Fees {
  const percent = BigInt(Math.max(MIN_FEE_BUMP_PERCENT, Math.ceil(policy.feeBumpPercent)));
  const minimum = {
    maxFeePerGas: raise(previous.maxFeePerGas, BigInt(MIN_FEE_BUMP_PERCENT)),
    maxPriorityFeePerGas: raise(previous.maxPriorityFeePerGas, BigInt(MIN_FEE_BUMP_PERCENT)),
  };
  const tip = max(raise(previous.maxPriorityFeePerGas, percent), policy.maxPriorityFeePerGas);
  const wanted = max(raise(previous.maxFeePerGas, percent), 2n * baseFeePerGas + tip);
  const maxFeePerGas = min(wanted, policy.maxFeePerGas);
  const maxPriorityFeePerGas = min(tip, maxFeePerGas);
  if (maxFeePerGas < minimum.maxFeePerGas || maxPriorityFeePerGas < minimum.maxPriorityFeePerGas) {
    throw gasPriceSpike(minimum.maxFeePerGas, policy.maxFeePerGas, {
      previousMaxFeePerGas: previous.maxFeePerGas.toString(),
      reason: 'replacement_at_cap',
    });
  }
  return { maxFeePerGas, maxPriorityFeePerGas };
}

function raise(value: bigint, percent: bigint): bigint {
  return (value * (100n + percent) + 99n) / 100n;
}

function gasPriceSpike(needed: bigint, cap: bigint, details: Record<string, unknown>): HostpayError {
  return new HostpayError(
    'GAS_PRICE_SPIKE',
    `fees of ${formatUnits(needed, 'gwei')} gwei per gas are needed, above the cap of ${formatUnits(cap, 'gwei')} gwei`,
    { details: { ...details, neededWei: needed.toString(), capWei: cap.toString() } },
  );
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
