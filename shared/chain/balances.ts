/** Whether the hot wallet can pay (docs/architecture.md, "The flow"): read balances, then check them. */
import { formatUnits, getAddress } from 'ethers';
import type { Asset } from '../assets.js';
import { HostpayError } from '../errors.js';
import type { ChainClient } from './client.js';
import { ERC20 } from './erc20.js';
import type { Fees } from './fees.js';
import { quantity } from './rpc.js';

export interface Balances {
  /** Wei. */
  eth: bigint;
  /** Base units of the asset's token; undefined for native ETH. */
  token: bigint | undefined;
}

/** ETH balance of `address` (default: the hot wallet), one `eth_getBalance` call. */
export async function readEthBalance(chain: ChainClient, address: string = chain.address): Promise<bigint> {
  return quantity(await chain.provider.send('eth_getBalance', [getAddress(address), 'latest']), 'balance');
}

/** Token balance of `owner` in base units, one `eth_call` of `balanceOf`; nothing decoded but a uint256. */
export async function readTokenBalance(
  chain: ChainClient,
  params: { token: string; owner?: string },
): Promise<bigint> {
  const data = ERC20.encodeFunctionData('balanceOf', [getAddress(params.owner ?? chain.address)]);
  const result = await chain.provider.send('eth_call', [{ to: getAddress(params.token), data }, 'latest']);
  if (typeof result !== 'string' || result.length !== 66) {
    // Code-less address or a non-token: the asset table points at the wrong contract for this chain.
    throw new HostpayError('UNSUPPORTED_CURRENCY', 'the configured token contract answered no balance', {
      // Named `contract`: a field named `token` is redacted from log lines as a credential.
      details: { contract: params.token },
    });
  }
  return quantity(result, 'balanceOf');
}

/** The hot wallet's balances an `asset` payout needs; the two calls go out as one batch. */
export async function readBalances(chain: ChainClient, asset: Asset): Promise<Balances> {
  const [eth, token] = await Promise.all([
    readEthBalance(chain),
    asset.kind === 'erc20' ? readTokenBalance(chain, { token: asset.address }) : undefined,
  ]);
  return { eth, token };
}

/**
 * INSUFFICIENT_FUNDS unless the wallet covers the payout at the worst fee it agreed to: for ETH the
 * amount plus `gasLimit × maxFeePerGas`; for a token the amount in token units and the gas in ETH.
 */
export function checkBalances(
  balances: Balances,
  params: { asset: Asset; amount: bigint; gasLimit: bigint; fees: Fees },
): void {
  const gasCost = params.gasLimit * params.fees.maxFeePerGas;
  const { asset, amount } = params;
  if (asset.kind === 'erc20') {
    const token = balances.token ?? 0n;
    if (token < amount) {
      throw insufficient(
        `${asset.symbol} balance ${formatUnits(token, asset.decimals)} is below the payout of ${formatUnits(amount, asset.decimals)}`,
        {
          asset: asset.symbol,
          balance: token.toString(),
          needed: amount.toString(),
        },
      );
    }
  }
  const ethNeeded = (asset.kind === 'native' ? amount : 0n) + gasCost;
  if (balances.eth < ethNeeded) {
    throw insufficient(
      `ETH balance ${formatUnits(balances.eth)} is below the ${formatUnits(ethNeeded)} needed for ${asset.kind === 'native' ? 'amount and gas' : 'gas'}`,
      {
        asset: 'eth',
        balance: balances.eth.toString(),
        needed: ethNeeded.toString(),
      },
    );
  }
}

function insufficient(message: string, details: Record<string, unknown>): HostpayError {
  return new HostpayError('INSUFFICIENT_FUNDS', message, { details });
}
