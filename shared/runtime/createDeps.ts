/** The one place a cold start is wired (docs/architecture.md, "Conventions"): configuration, then every client, once. */
import { IncomingWebhook } from '@slack/webhook';
import type { VerifyIdToken } from '../admin/operatorIdentity.js';
import { buildAssetTable } from '../assets.js';
import type { AttemptConfig, AttemptDeps } from '../attempt/types.js';
import { createChainClient } from '../chain/index.js';
import { type Config, type ConfigFor, type FunctionName, loadConfig } from '../config/index.js';
import { databaseTarget } from '../db/connect.js';
import { createSqlClient, pingDatabase } from '../db/createSqlClient.js';
import type { FailureDeps } from '../failure/recordFinalFailure.js';
import { createLogger, type Logger } from '../log/index.js';
import type { SecretResolver } from '../secrets.js';
import { createTasksClient } from '../tasks/createTasksClient.js';
import type { HealthProbe } from './health.js';

/** Dependencies that own clients to close. */
export interface Closable {
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  env?: Readonly<Record<string, string | undefined>>;
  secrets?: SecretResolver;
  /** Where log lines go; stdout by default. */
  write?: (line: string) => void;
  now?: () => number;
  /** adminApi's ID token check; Google's by default (tests hand in one that trusts a local key). */
  verifyIdToken?: VerifyIdToken;
}

/** What every function opens: its logger (redacting its secrets), a database pool and the Cloud Tasks client. */
export function openBaseDeps<C extends Config>(name: FunctionName, config: C, options: CreateDepsOptions) {
  const logger: Logger = createLogger({
    secrets: config.secretValues,
    base: { function: name },
    ...(options.write ? { write: options.write } : {}),
  });
  const sql = createSqlClient(databaseTarget(config), { max: config.databasePoolMax });
  const tasks = createTasksClient(config.tasksEmulatorHost ? { emulatorHost: config.tasksEmulatorHost } : {});
  const close = async () => {
    await Promise.allSettled([sql.end({ timeout: 5 }), tasks.close()]);
  };
  return { config, logger, sql, tasks, now: options.now ?? Date.now, close };
}

/** The function's configuration from `options.env` (process.env by default), secrets resolved. */
export async function configFor<F extends FunctionName>(
  name: F,
  options: CreateDepsOptions,
): Promise<ConfigFor<F>> {
  return loadConfig(options.env ?? process.env, {
    functionName: name,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
}

/** Dependencies of executePayment and retryPayment (and the chain-touching admin paths). */
export async function createAttemptDeps(
  name: 'executePayment' | 'retryPayment',
  options: CreateDepsOptions = {},
): Promise<AttemptDeps<AttemptConfig> & Closable> {
  const config: AttemptConfig = await configFor(name, options);
  const chain = createChainClient({
    rpcUrl: config.rpcUrl,
    chainId: config.chainId,
    privateKey: config.walletPrivateKey,
    requestTimeoutMs: config.rpcTimeoutSeconds * 1000,
  });
  const common = openBaseDeps(name, config, options);
  const close = async () => {
    chain.provider.destroy();
    await common.close();
  };
  return { ...common, chain, assets: buildAssetTable(config.chainId, config.assets), close };
}

/** Dependencies of recordFailure. */
export async function createFailureDeps(options: CreateDepsOptions = {}): Promise<FailureDeps & Closable> {
  const config = await configFor('recordFailure', options);
  const slack = config.slackWebhookUrl
    ? new IncomingWebhook(config.slackWebhookUrl, { timeout: 5000 })
    : undefined;
  return { ...openBaseDeps('recordFailure', config, options), slack };
}

/** Dependencies of recoverPayments: the ledger and the queues; it holds no wallet key. */
export async function createRecoveryDeps(options: CreateDepsOptions = {}) {
  const config = await configFor('recoverPayments', options);
  return openBaseDeps('recoverPayments', config, options);
}

/** The components a function's `/health` reports: database, queue, chain where it has one, configuration. */
export function healthProbes(deps: {
  sql: AttemptDeps['sql'];
  tasks: AttemptDeps['tasks'];
  config: Config;
  chain?: AttemptDeps['chain'];
}): Record<string, HealthProbe> {
  const probes: Record<string, HealthProbe> = {
    configuration: async () => true,
    database: () => pingDatabase(deps.sql as Parameters<typeof pingDatabase>[0]),
    queue: () =>
      deps.tasks.getQueue(
        {
          name: deps.tasks.queuePath(
            deps.config.tasksProject,
            deps.config.tasksLocation,
            deps.config.retryQueue ?? deps.config.failureQueue ?? deps.config.noticeQueue ?? 'unset',
          ),
        },
        { timeout: 3000 },
      ),
  };
  if (deps.chain) probes.chain = () => deps.chain!.provider.getBlockNumber();
  return probes;
}
