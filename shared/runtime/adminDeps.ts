/** Cold-start wiring of adminApi and recoverPayments (STYLE.md rule 2): configuration, database, queue. */
import { buildAssetTable } from '../assets.js';
import { cancelOnChain } from '../attempt/cancelOnChain.js';
import { notifyCompleted } from '../attempt/settle.js';
import { type ChainState, createChainClient, readTransactionState } from '../chain/index.js';
import type { FunctionName } from '../config.js';
import { getPayout } from '../db/index.js';
import type { RecoveryDeps } from '../recovery/recoveryDeps.js';
import type { CancelOnChain } from '../recovery/updateFailureStatus.js';
import { type CreateDepsOptions, configFor, healthProbes, openBaseDeps } from './createDeps.js';
import type { HealthProbe } from './health.js';
import type { BaseDeps } from './httpFunction.js';

export type AdminDeps = RecoveryDeps &
  BaseDeps & {
    readonly cancelOnChain?: CancelOnChain;
    /** What the node says of a stored transaction; absent without the chain settings. */
    readonly transactionState?: (hash: string) => Promise<ChainState>;
  };

/** Dependencies of the recovery functions; with the chain settings (adminApi) also the on-chain cancel and look-ups. */
export async function createRecoveryDeps(
  name: Extract<FunctionName, 'adminApi' | 'recoverPayments'>,
  options: CreateDepsOptions = {},
): Promise<AdminDeps> {
  const config = await configFor(name, options);
  const base = openBaseDeps(name, config, options);
  const { sql } = base;
  // adminApi signs the on-chain cancel when it is given the chain settings; recoverPayments never signs.
  const { rpcUrl, chainId, walletPrivateKey } = config;
  const chain =
    rpcUrl && chainId && walletPrivateKey
      ? createChainClient({ rpcUrl, chainId, privateKey: walletPrivateKey })
      : undefined;
  const cancel: CancelOnChain | undefined = chain
    ? async (payout) => {
        const assets = buildAssetTable(chain.chainId, config.assets);
        const mined = await cancelOnChain({ config, sql, chain, assets }, payout);
        // The transfer won the race: the payout is paid, and the upstream hears it as after any confirmation.
        const after = await getPayout(sql, { uniqueId: payout.uniqueId });
        if (after?.status === 'confirmed') await notifyCompleted(base, base.logger, after);
        return mined;
      }
    : undefined;
  const close = async () => {
    chain?.provider.destroy();
    await base.close();
  };
  return {
    ...base,
    close,
    ...(cancel ? { cancelOnChain: cancel } : {}),
    ...(chain ? { transactionState: (hash: string) => readTransactionState(chain, hash) } : {}),
  };
}

/** `/health` of the recovery functions: configuration, database and the retry queue they feed. */
export function recoveryHealth(deps: AdminDeps): Record<string, HealthProbe> {
  return healthProbes(deps);
}
