/** Cold-start wiring of adminApi and recoverPayments (STYLE.md rule 2): configuration, database, queue. */
import { buildAssetTable } from '../assets.js';
import { cancelOnChain } from '../attempt/cancelOnChain.js';
import { type ChainState, createChainClient, readTransactionState } from '../chain/index.js';
import { type FunctionName, loadConfig } from '../config.js';
import { createSqlClient, pingDatabase } from '../db/createSqlClient.js';
import { createLogger } from '../log.js';
import type { RecoveryDeps } from '../recovery/recoveryDeps.js';
import type { CancelOnChain } from '../recovery/updateFailureStatus.js';
import { createTasksClient } from '../tasks/createTasksClient.js';
import type { CreateDepsOptions } from './createDeps.js';
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
  const config = await loadConfig(options.env ?? process.env, {
    functionName: name,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const logger = createLogger({
    secrets: config.secretValues,
    base: { function: name },
    ...(options.write ? { write: options.write } : {}),
  });
  const sql = createSqlClient(config.databaseUrl, { max: 3 });
  const tasks = createTasksClient(config.tasksEmulatorHost ? { emulatorHost: config.tasksEmulatorHost } : {});
  // adminApi signs the on-chain cancel when it is given the chain settings; recoverPayments never signs.
  const { rpcUrl, chainId, walletPrivateKey } = config;
  const chain =
    rpcUrl && chainId && walletPrivateKey
      ? createChainClient({ rpcUrl, chainId, privateKey: walletPrivateKey })
      : undefined;
  const cancel: CancelOnChain | undefined = chain
    ? (payout) =>
        cancelOnChain({ config, sql, chain, assets: buildAssetTable(chain.chainId, config.assets) }, payout)
    : undefined;
  const close = async () => {
    chain?.provider.destroy();
    await Promise.allSettled([sql.end({ timeout: 5 }), tasks.close()]);
  };
  return {
    config,
    logger,
    sql,
    tasks,
    now: options.now ?? Date.now,
    close,
    ...(cancel ? { cancelOnChain: cancel } : {}),
    ...(chain ? { transactionState: (hash: string) => readTransactionState(chain, hash) } : {}),
  };
}

/** `/health` of the recovery functions: configuration, database and the retry queue they feed. */
export function recoveryHealth(deps: AdminDeps): Record<string, HealthProbe> {
  const { config, tasks } = deps;
  return {
    configuration: async () => true,
    database: () => pingDatabase(deps.sql as Parameters<typeof pingDatabase>[0]),
    queue: () =>
      tasks.getQueue(
        { name: tasks.queuePath(config.tasksProject, config.tasksLocation, config.retryQueue ?? 'unset') },
        { timeout: 3000 },
      ),
  };
}
