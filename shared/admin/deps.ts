/** Cold-start wiring of adminApi (docs/architecture.md, "Operators"): configuration, database, queue, wallet. */
import { buildAssetTable } from '../assets.js';
import { type ChainState, createChainClient, readTransactionState } from '../chain/index.js';
import type { RecoveryDeps } from '../recovery/recoveryDeps.js';
import { type CreateDepsOptions, configFor, openBaseDeps } from '../runtime/createDeps.js';
import type { BaseDeps } from '../runtime/httpFunction.js';
import { readWalletBalances, type WalletBalances } from './balances.js';
import { cancelOnChain } from './cancel.js';
import { googleIdTokenVerifier, type VerifyIdToken } from './operatorIdentity.js';
import type { SettleCancel } from './updateFailureStatus.js';

/** What the admin routes read: the ledger, the clock, and the node when there is one. */
export interface AdminReadDeps {
  readonly sql: RecoveryDeps['sql'];
  readonly now: () => number;
  /** What the node says of a stored transaction; absent without the chain settings. */
  readonly transactionState?: (hash: string) => Promise<ChainState>;
  /** The hot wallet's ETH and token balances for the console; absent without the chain settings. */
  readonly walletBalances?: () => Promise<WalletBalances>;
}

/** What the admin routes that change something need: the ledger, the retry queue, the settings, the cancel. */
export type AdminWriteDeps = RecoveryDeps & { readonly settleCancel?: SettleCancel };

/** adminApi's dependencies: everything above, and the operator's identity check. */
export type AdminDeps = AdminWriteDeps &
  BaseDeps &
  AdminReadDeps & {
    /** Checks an operator's ID token (production); a local stand-in in tests. */
    readonly verifyIdToken: VerifyIdToken;
  };

/** adminApi's dependencies; with the chain settings also the on-chain cancel and the node's look-ups. */
export async function createAdminDeps(options: CreateDepsOptions = {}): Promise<AdminDeps> {
  const config = await configFor('adminApi', options);
  const base = openBaseDeps('adminApi', config, options);
  const { rpcUrl, chainId, walletPrivateKey } = config;
  const chain =
    rpcUrl && chainId && walletPrivateKey
      ? createChainClient({
          rpcUrl,
          chainId,
          privateKey: walletPrivateKey,
          requestTimeoutMs: config.rpcTimeoutSeconds * 1000,
        })
      : undefined;
  const close = async () => {
    chain?.provider.destroy();
    await base.close();
  };
  const verifyIdToken = options.verifyIdToken ?? googleIdTokenVerifier();
  if (!chain) return { ...base, close, verifyIdToken };
  const assets = buildAssetTable(chain.chainId, config.assets);
  return {
    ...base,
    close,
    verifyIdToken,
    settleCancel: cancelOnChain({ ...base, chain, assets }),
    transactionState: (hash) => readTransactionState(chain, hash),
    walletBalances: () => readWalletBalances(chain, assets, config.lowBalanceThresholdWei),
  };
}
