/** Which asset a payout sends on the configured chain (docs/architecture.md, "Invariants and where they are enforced" and "Configuration"). */
import { getAddress, isAddress } from 'ethers';
import { HostpayError } from './errors.js';
import { MAX_AMOUNT_DIGITS } from './money.js';

/** One payable asset on one chain: native ETH, or an ERC-20 contract with its decimals. */
export type Asset = { symbol: string; network: string; chainId: number; decimals: number } & (
  | { kind: 'native' }
  | { kind: 'erc20'; address: string }
);

/** Token entries from the `ASSETS` setting: symbol → contract and decimals. */
export type AssetOverride = Readonly<Record<string, { readonly address: string; readonly decimals: number }>>;

/** The assets payable on one chain, keyed by lower-case symbol. */
export interface AssetTable {
  readonly chainId: number;
  /** The `from_network` value upstream sends for this chain, lower case. */
  readonly network: string;
  readonly assets: ReadonlyMap<string, Asset>;
}

const NATIVE_SYMBOL = 'eth';

/** Ethereum chains hostpay runs on; every one of them pays native ETH as `eth` on network `eth`. */
const ETHEREUM_CHAINS: Readonly<Record<number, string>> = {
  1: 'mainnet',
  17000: 'holesky',
  11155111: 'sepolia',
  1337: 'local dev chain',
  31337: 'local dev chain (anvil)',
};

/** Token contracts built in per chain; other chains get theirs from the `ASSETS` setting. */
const BUILT_IN_TOKENS: Readonly<Record<number, AssetOverride>> = {
  1: {
    usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6 },
    usdc: { address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', decimals: 6 },
    dai: { address: '0x6B175474E89094C44Da98b954EedeAC495271d0F', decimals: 18 },
  },
};

function configInvalid(message: string): HostpayError {
  return new HostpayError('CONFIG_INVALID', message);
}

function tokenAsset(chainId: number, symbol: string, entry: unknown): Asset {
  if (typeof entry !== 'object' || entry === null) {
    throw configInvalid(`ASSETS: entry "${symbol}" must be an object with address and decimals`);
  }
  const { address, decimals } = entry as { address?: unknown; decimals?: unknown };
  if (typeof address !== 'string' || !isAddress(address)) {
    throw configInvalid(`ASSETS: "${symbol}" address is not a valid address (bad format or checksum)`);
  }
  if (
    typeof decimals !== 'number' ||
    !Number.isInteger(decimals) ||
    decimals < 0 ||
    decimals > MAX_AMOUNT_DIGITS
  ) {
    throw configInvalid(`ASSETS: "${symbol}" decimals must be an integer from 0 to ${MAX_AMOUNT_DIGITS}`);
  }
  return { symbol, network: NATIVE_SYMBOL, chainId, decimals, kind: 'erc20', address: getAddress(address) };
}

/**
 * The asset table for `chainId`: native `eth` plus the built-in mainnet tokens, with `override`
 * (the parsed `ASSETS` setting) adding or replacing tokens (docs/architecture.md, "Configuration"). A chain hostpay does not
 * know as an Ethereum chain, or a malformed override, is `CONFIG_INVALID`.
 */
export function buildAssetTable(chainId: number, override?: AssetOverride): AssetTable {
  if (!Number.isInteger(chainId) || !Object.hasOwn(ETHEREUM_CHAINS, chainId)) {
    throw configInvalid(`CHAIN_ID ${chainId} is not an Ethereum chain hostpay pays on`);
  }
  const assets = new Map<string, Asset>();
  assets.set(NATIVE_SYMBOL, {
    symbol: NATIVE_SYMBOL,
    network: NATIVE_SYMBOL,
    chainId,
    decimals: 18,
    kind: 'native',
  });
  const entries = { ...BUILT_IN_TOKENS[chainId], ...override };
  for (const [rawSymbol, entry] of Object.entries(entries)) {
    const symbol = rawSymbol.toLowerCase();
    if (!/^[a-z0-9]{1,16}$/.test(symbol)) throw configInvalid(`ASSETS: symbol "${rawSymbol}" is not valid`);
    // `eth` must stay the native asset: a token under that name would pay a contract instead.
    if (symbol === NATIVE_SYMBOL)
      throw configInvalid('ASSETS: "eth" is the native asset and cannot be a token');
    assets.set(symbol, tokenAsset(chainId, symbol, entry));
  }
  return { chainId, network: NATIVE_SYMBOL, assets };
}

/**
 * The asset a payout names (docs/architecture.md, "Invariants and where they are enforced"): `currency` and `network` compared in lower case.
 * An unknown symbol or another chain's network is `UNSUPPORTED_CURRENCY`, never a fallback.
 */
export function resolveAsset(table: AssetTable, params: { currency: string; network: string }): Asset {
  const currency = params.currency.toLowerCase();
  const network = params.network.toLowerCase();
  const asset = table.assets.get(currency);
  if (network !== table.network) {
    throw new HostpayError(
      'UNSUPPORTED_CURRENCY',
      `network "${params.network.slice(0, 32)}" is not this chain's network "${table.network}"`,
      { details: { currency: currency.slice(0, 32), network: network.slice(0, 32), chainId: table.chainId } },
    );
  }
  if (asset === undefined) {
    throw new HostpayError(
      'UNSUPPORTED_CURRENCY',
      `currency "${params.currency.slice(0, 32)}" is not configured on chain ${table.chainId}`,
      { details: { currency: currency.slice(0, 32), network, chainId: table.chainId } },
    );
  }
  return asset;
}
