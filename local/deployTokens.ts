/**
 * Test tokens on a dev node for tests and the local stack (docs/architecture.md, "Platform facts" and "Running it locally"): USDT-like (transfer
 * returns nothing, 6 decimals), USDC and DAI as standard ERC-20s (6 and 18 decimals). Deployed and
 * minted from anvil's first unlocked dev account; needs auto-mine or a block time.
 */
import {
  Contract,
  ContractFactory,
  getAddress,
  type InterfaceAbi,
  JsonRpcProvider,
  type JsonRpcSigner,
} from 'ethers';
import type { AssetOverride } from '../shared/assets.js';
import { setBalance } from './anvil.js';
import { loadTokenArtifacts, type TokenContractName } from './contracts/artifacts.js';

export const TEST_TOKENS = {
  usdt: { contract: 'NoReturnToken', name: 'Tether USD (test)', decimals: 6 },
  usdc: { contract: 'TestToken', name: 'USD Coin (test)', decimals: 6 },
  dai: { contract: 'TestToken', name: 'Dai Stablecoin (test)', decimals: 18 },
} as const satisfies Record<string, { contract: TokenContractName; name: string; decimals: number }>;

export type TestTokenSymbol = keyof typeof TEST_TOKENS;

/** Checksummed contract address per symbol. */
export type TestTokenAddresses = Record<TestTokenSymbol, string>;

const SYMBOLS = Object.keys(TEST_TOKENS) as TestTokenSymbol[];

function deployerOf(rpcUrl: string): { provider: JsonRpcProvider; signer: Promise<JsonRpcSigner> } {
  // Auto-detected network and ethers' defaults: the harness is not what the RPC call counts measure.
  const provider = new JsonRpcProvider(rpcUrl, undefined, { cacheTimeout: -1, pollingInterval: 200 });
  return { provider, signer: provider.getSigner(0) };
}

/** Deploys the three test tokens; the deployer (anvil's account 0) is their minter. */
export async function deployTestTokens(rpcUrl: string): Promise<TestTokenAddresses> {
  const { provider, signer } = deployerOf(rpcUrl);
  try {
    const artifacts = await loadTokenArtifacts();
    const addresses = {} as TestTokenAddresses;
    for (const symbol of SYMBOLS) {
      const spec = TEST_TOKENS[symbol];
      const { abi, bytecode } = artifacts.contracts[spec.contract];
      const factory = new ContractFactory(abi as InterfaceAbi, bytecode, await signer);
      const contract = await factory.deploy(spec.name, symbol.toUpperCase(), spec.decimals);
      await contract.waitForDeployment();
      addresses[symbol] = getAddress(await contract.getAddress());
    }
    return addresses;
  } finally {
    provider.destroy();
  }
}

/** Mints `amount` base units of a test token to `to`, and waits for it to be mined. */
export async function mintTestToken(
  rpcUrl: string,
  params: { token: string; to: string; amount: bigint },
): Promise<void> {
  const { provider, signer } = deployerOf(rpcUrl);
  try {
    const token = new Contract(params.token, ['function mint(address to, uint256 amount)'], await signer);
    const tx = await token.getFunction('mint')(params.to, params.amount);
    await tx.wait();
  } finally {
    provider.destroy();
  }
}

export interface FundWalletParams {
  address: string;
  tokens: TestTokenAddresses;
  /** ETH balance to set, in wei (replaces the balance). */
  eth?: bigint;
  /** Base units to mint per token (added to the balance). */
  mint?: Partial<Record<TestTokenSymbol, bigint>>;
}

/** Sets the wallet's ETH balance and mints it tokens: the hot wallet of a test or of the local stack. */
export async function fundWallet(rpcUrl: string, params: FundWalletParams): Promise<void> {
  if (params.eth !== undefined) await setBalance(rpcUrl, params.address, params.eth);
  for (const symbol of SYMBOLS) {
    const amount = params.mint?.[symbol];
    if (amount !== undefined && amount > 0n) {
      await mintTestToken(rpcUrl, { token: params.tokens[symbol], to: params.address, amount });
    }
  }
}

/** The `ASSETS` setting (and `buildAssetTable` override) that makes hostpay pay with these tokens. */
export function testTokenAssets(tokens: TestTokenAddresses): AssetOverride {
  return Object.fromEntries(
    SYMBOLS.map((symbol) => [symbol, { address: tokens[symbol], decimals: TEST_TOKENS[symbol].decimals }]),
  );
}
