/** `GET /balances`: the hot wallet's ETH and every configured token, exactly, with the low-balance threshold. */
import type { AssetTable } from '../assets.js';
import { readEthBalance, readTokenBalance } from '../chain/balances.js';
import type { ChainClient } from '../chain/client.js';
import { explorerAddressUrl } from '../explorer.js';
import { formatBaseUnits } from '../money.js';

export interface WalletBalances {
  chain_id: number;
  address: string;
  /** The explorer's page of the wallet; null on a chain without one (a local node). */
  explorer_url: string | null;
  /** `LOW_BALANCE_THRESHOLD_ETH`, exactly. */
  low_balance_threshold_eth: string;
  assets: {
    symbol: string;
    kind: 'native' | 'erc20';
    contract: string | null;
    decimals: number;
    /** Exact decimal. */
    balance: string;
    /** A decimal integer of base units (wei for ETH). */
    base_units: string;
    /** ETH below the threshold (gas for every payout comes from it); tokens have no threshold. */
    low: boolean;
  }[];
}

/** One `eth_getBalance` and one `balanceOf` per token, in parallel; a call that fails fails the read. */
export async function readWalletBalances(
  chain: ChainClient,
  table: AssetTable,
  thresholdWei: bigint,
): Promise<WalletBalances> {
  const assets = [...table.assets.values()].sort((a, b) =>
    a.kind === b.kind ? a.symbol.localeCompare(b.symbol) : a.kind === 'native' ? -1 : 1,
  );
  const units = await Promise.all(
    assets.map((asset) =>
      asset.kind === 'native' ? readEthBalance(chain) : readTokenBalance(chain, { token: asset.address }),
    ),
  );
  return {
    chain_id: table.chainId,
    address: chain.address,
    explorer_url: explorerAddressUrl(table.chainId, chain.address) ?? null,
    low_balance_threshold_eth: formatBaseUnits(thresholdWei, 18),
    assets: assets.map((asset, i) => ({
      symbol: asset.symbol,
      kind: asset.kind,
      contract: asset.kind === 'erc20' ? asset.address : null,
      decimals: asset.decimals,
      balance: formatBaseUnits(units[i]!, asset.decimals),
      base_units: units[i]!.toString(),
      low: asset.kind === 'native' && units[i]! < thresholdWei,
    })),
  };
}
