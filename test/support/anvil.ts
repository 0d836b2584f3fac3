/**
 * A dev chain for chain tests: anvil on a random port with the test tokens deployed, its asset table,
 * and funded hot wallets. Each test file starts its own and stops it in `after`.
 *
 *   let chain: TestChain;
 *   before(async () => { chain = await startTestChain(); });
 *   after(() => chain.stop());
 */
import { Wallet } from 'ethers';
import { type RunningAnvil, type StartAnvilOptions, startAnvil } from '../../local/anvil.js';
import {
  deployTestTokens,
  type FundWalletParams,
  fundWallet,
  type TestTokenAddresses,
  type TestTokenSymbol,
  testTokenAssets,
} from '../../local/deployTokens.js';
import { type Asset, type AssetTable, buildAssetTable } from '../../shared/assets.js';

export interface TestChain {
  anvil: RunningAnvil;
  /** The node itself (not behind a proxy). */
  rpcUrl: string;
  chainId: number;
  tokens: TestTokenAddresses;
  assets: AssetTable;
  /** `eth`, `usdt`, `usdc` or `dai` on this chain. */
  asset(symbol: 'eth' | TestTokenSymbol): Asset;
  /** A fresh key, funded as asked (default: 100 ETH and a million of each token). */
  newWallet(funds?: Omit<FundWalletParams, 'address' | 'tokens'>): Promise<string>;
  stop(): Promise<void>;
}

export const DEFAULT_FUNDS = {
  eth: 100n * 10n ** 18n,
  mint: { usdt: 10n ** 12n, usdc: 10n ** 12n, dai: 10n ** 24n },
} as const;

export async function startTestChain(options: StartAnvilOptions = {}): Promise<TestChain> {
  const anvil = await startAnvil(options);
  try {
    const tokens = await deployTestTokens(anvil.rpcUrl);
    const assets = buildAssetTable(anvil.chainId, testTokenAssets(tokens));
    return {
      anvil,
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      tokens,
      assets,
      asset(symbol) {
        const asset = assets.assets.get(symbol);
        if (!asset) throw new Error(`no test asset ${symbol}`);
        return asset;
      },
      async newWallet(funds = DEFAULT_FUNDS) {
        const key = Wallet.createRandom().privateKey;
        await fundWallet(anvil.rpcUrl, { address: new Wallet(key).address, tokens, ...funds });
        return key;
      },
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
