/** Cold-start wiring of adminApi and recoverPayments (docs/architecture.md, "Module map"): configuration, database, queue. */
import { randomUUID } from 'node:crypto';
import { buildAssetTable } from '../assets.js';
import { advanceLeasedPayout } from '../attempt/runAttempt.js';
import { encodeRequestToken } from '../attempt/tokens.js';
import { type ChainState, createChainClient, readTransactionState } from '../chain/index.js';
import type { FunctionName } from '../config.js';
import { readWalletBalances, type WalletBalances } from '../console/balances.js';
import { acquireLease, releaseLease } from '../db/index.js';
import { googleIdTokenVerifier, type VerifyIdToken } from '../recovery/operatorIdentity.js';
import type { RecoveryDeps } from '../recovery/recoveryDeps.js';
import { requestFromPayout } from '../recovery/retryRequest.js';
import type { SettleCancel } from '../recovery/updateFailureStatus.js';
import { type CreateDepsOptions, configFor, healthProbes, openBaseDeps } from './createDeps.js';
import type { HealthProbe } from './health.js';
import type { BaseDeps } from './httpFunction.js';

export type AdminDeps = RecoveryDeps &
  BaseDeps & {
    readonly settleCancel?: SettleCancel;
    /** Checks an operator's ID token (production); a local stand-in in tests. */
    readonly verifyIdToken: VerifyIdToken;
    /** What the node says of a stored transaction; absent without the chain settings. */
    readonly transactionState?: (hash: string) => Promise<ChainState>;
    /** The hot wallet's ETH and token balances for the console; absent without the chain settings. */
    readonly walletBalances?: () => Promise<WalletBalances>;
  };

/** Dependencies of the recovery functions; with the chain settings (adminApi) also the cancel and look-ups. */
export async function createRecoveryDeps(
  name: Extract<FunctionName, 'adminApi' | 'recoverPayments'>,
  options: CreateDepsOptions = {},
): Promise<AdminDeps> {
  const config = await configFor(name, options);
  const base = openBaseDeps(name, config, options);
  const { sql } = base;
  // adminApi signs the operator's cancel when it is given the chain settings; recoverPayments never signs.
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
  const settleCancel: SettleCancel | undefined = chain
    ? async (payout) => {
        // The same work as any delivery of the payout, under a lease of its own: the ledger and the
        // upstream learn the outcome exactly as they would from a check.
        const leaseOwner = `admin-cancel-${randomUUID()}`;
        const leased = await acquireLease(sql, {
          uniqueId: payout.uniqueId,
          leaseOwner,
          leaseSeconds: config.leaseSeconds,
        });
        if (leased === null) return { outcome: 'in_progress' };
        const nowSeconds = Math.floor(base.now() / 1000);
        const request = requestFromPayout(leased, { attempt: Math.max(1, leased.attemptCount), nowSeconds });
        const deps = { ...base, chain, assets: buildAssetTable(chain.chainId, config.assets) };
        try {
          const result = await advanceLeasedPayout(deps, base.logger.child({ unique_id: payout.uniqueId }), {
            request,
            token: encodeRequestToken(config, request, base.now()),
            payout: leased,
            leaseOwner,
          });
          const outcome =
            result.status === 'cancelled'
              ? 'cancelled'
              : result.status === 'success'
                ? 'confirmed'
                : result.status === 'superseded'
                  ? 'in_progress'
                  : 'pending';
          return { outcome, ...(result.tx_hash ? { txHash: result.tx_hash } : {}) };
        } finally {
          await releaseLease(sql, { uniqueId: payout.uniqueId, leaseOwner }).catch(() => undefined);
        }
      }
    : undefined;
  const close = async () => {
    chain?.provider.destroy();
    await base.close();
  };
  return {
    ...base,
    close,
    verifyIdToken: options.verifyIdToken ?? googleIdTokenVerifier(),
    ...(settleCancel ? { settleCancel } : {}),
    ...(chain ? { transactionState: (hash: string) => readTransactionState(chain, hash) } : {}),
    ...(chain
      ? {
          walletBalances: () =>
            readWalletBalances(
              chain,
              buildAssetTable(chain.chainId, config.assets),
              config.lowBalanceThresholdWei,
            ),
        }
      : {}),
  };
}

/** `/health` of the recovery functions: configuration, database and the retry queue they feed. */
export function recoveryHealth(deps: AdminDeps): Record<string, HealthProbe> {
  return healthProbes(deps);
}
