/**
 * The whole of hostpay on one machine (docs/architecture.md, "Running it locally"): embedded PostgreSQL (migrated), anvil with the test
 * tokens and a funded hot wallet, the local Cloud Tasks endpoint, the upstream recorder, and each function
 * in its own Functions Framework process. `local/start.ts` is its command line; tests start it too.
 * The hot wallet is a fresh random key per stack, held only in memory and in the functions' environment;
 * anvil's first dev account deploys the tokens and mints to it, and its ETH is set with anvil_setBalance.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Wallet } from 'ethers';
import { FUNCTION_NAMES, type FunctionName, type SettingName } from '../../shared/config/settings.js';
import { migrateUp } from '../../shared/db/migrate.js';
import { type RunningAnvil, startAnvil } from '../anvil.js';
import {
  type CloudTasksEmulator,
  type DeliveryAttempt,
  startCloudTasksEmulator,
} from '../cloudTasks/index.js';
import { deployTestTokens, fundWallet, TEST_TOKENS, testTokenAssets } from '../deployTokens.js';
import { type RunningPostgres, startPostgres } from '../postgres.js';
import { type Recorder, startRecorder } from '../upstream.js';
import { freePorts } from './freePorts.js';
import {
  type FunctionProcess,
  MissingTargetError,
  type OutputStream,
  startFunctionProcess,
} from './functionProcess.js';
import { functionsSource, repoRoot } from './paths.js';
import {
  functionEnvironment,
  LOCAL_LOCATION,
  LOCAL_PROJECT,
  LOCAL_QUEUES,
  localSettings,
} from './settings.js';
import type { StackFile } from './stackFile.js';

/** What the stack reports while it runs: function output, task deliveries, its own progress. */
export type StackLogEvent =
  | { kind: 'function'; function: FunctionName; stream: OutputStream; line: string }
  | { kind: 'delivery'; attempt: DeliveryAttempt }
  | { kind: 'stack'; severity: 'INFO' | 'WARNING' | 'ERROR'; message: string };

export interface StartStackOptions {
  /** Fixed ports; each omitted one is a free port. */
  ports?: Partial<Record<FunctionName | 'upstream' | 'tasks' | 'postgres', number>>;
  logSink?: (event: StackLogEvent) => void;
  /** Settings given to every function on top of the stack's own (e.g. shorter delays in tests). */
  settings?: Partial<Record<SettingName, string>>;
  /** The built functions module; default `dist/functions/index.js`. */
  functionsSource?: string;
  /** Bound on each function answering `/health`; default 90 s. */
  functionStartTimeoutMs?: number;
  /**
   * Test seams, never part of a deployment: extra environment for the function processes (the chaos
   * harness preloads its kill switch with NODE_OPTIONS), and the RPC URL the functions are given for
   * anvil's (a fault proxy in front of it).
   */
  functionEnv?: Record<string, string>;
  rpcUrlFor?: (anvilRpcUrl: string) => Promise<string>;
  /** The database URL the functions are given for the stack's (a counting proxy in front of it). */
  databaseUrlFor?: (databaseUrl: string) => Promise<string>;
  /**
   * Calls recoverPayments every this many seconds, as Cloud Scheduler does in production (its
   * `recovery_run` events show in the stream); 0 or absent: no scheduler.
   */
  schedulerSeconds?: number;
}

export interface RunningStack {
  /** Exactly what `.local/stack.json` holds. */
  description: StackFile;
  /** The hot wallet's key: kept in memory, never written to the stack file or a log. */
  walletPrivateKey: string;
  postgres: RunningPostgres;
  anvil: RunningAnvil;
  tasks: CloudTasksEmulator;
  upstream: Recorder;
  /** null: the functions module has no such export yet. */
  functions: Record<FunctionName, FunctionProcess | null>;
  /** Milliseconds each phase took, for the start-up report. */
  timings: Record<string, number>;
  /** The environment every function process is given (settings and secrets included: never log it). */
  functionEnv: NodeJS.ProcessEnv;
  /** Starts `name` again on its port after its process died, as the platform starts a new instance. */
  restartFunction(name: FunctionName): Promise<void>;
  /** Stops every function (process group), then the queues, the recorder, anvil and PostgreSQL. */
  stop(): Promise<void>;
}

const WALLET_ETH = 100n * 10n ** 18n;
const WALLET_MINT = { usdt: 10n ** 12n, usdc: 10n ** 12n, dai: 10n ** 24n };
const DATABASE = 'hostpay';

/** Starts every piece and resolves once each function answers `/health`; on any failure stops what started. */
export async function startStack(options: StartStackOptions = {}): Promise<RunningStack> {
  const sink = options.logSink ?? (() => {});
  const source = options.functionsSource ?? functionsSource();
  if (!existsSync(source)) {
    throw new Error(`${source} not found: build the functions first (npm run build)`);
  }
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    // Functions first, so none of them sees its database or queue vanish mid-request.
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0)
      throw new AggregateError(errors, 'some parts of the local stack did not stop cleanly');
  };
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings[label] = Math.round(performance.now() - started);
    return result;
  };
  const owned = async <T extends { stop(): Promise<void> }>(label: string, work: () => Promise<T>) => {
    const part = await timed(label, work);
    stops.push(() => part.stop());
    return part;
  };

  try {
    const signingKey = randomBytes(24).toString('base64url');
    const wallet = Wallet.createRandom();
    const ports = options.ports ?? {};
    const queueName = (id: string) => `projects/${LOCAL_PROJECT}/locations/${LOCAL_LOCATION}/queues/${id}`;

    const [postgres, anvil, tasks, upstream, functionPorts] = await settleAll([
      owned('postgres', () => startPostgres({ port: ports.postgres ?? 0, fsync: false })),
      owned('anvil', () => startAnvil()),
      owned('tasks', () =>
        startCloudTasksEmulator({
          port: ports.tasks ?? 0,
          queues: Object.values(LOCAL_QUEUES).map((id) => ({
            name: queueName(id),
            // Redeliveries only follow a 5xx or a timeout (terraform/queues.tf); quicker here.
            retry: { maxAttempts: 50, minBackoffSeconds: 2, maxBackoffSeconds: 60, maxDoublings: 5 },
          })),
          log: (entry) =>
            sink({ kind: 'stack', severity: entry.severity, message: `tasks: ${entry.message}` }),
          onDelivery: (attempt) => sink({ kind: 'delivery', attempt }),
        }),
      ),
      owned('upstream', () => startRecorder({ port: ports.upstream ?? 0, signingKey })),
      pickPorts(ports),
    ]);

    const databaseUrl = postgres.urlFor(DATABASE);
    const [, tokens] = await settleAll([
      timed('migrations', () => migrateUp(databaseUrl)),
      timed('tokens', async () => {
        const deployed = await deployTestTokens(anvil.rpcUrl);
        await fundWallet(anvil.rpcUrl, {
          address: wallet.address,
          tokens: deployed,
          eth: WALLET_ETH,
          mint: WALLET_MINT,
        });
        return deployed;
      }),
    ]);

    const url = (name: FunctionName) => `http://127.0.0.1:${functionPorts[name]}`;
    const rpcUrl = options.rpcUrlFor ? await options.rpcUrlFor(anvil.rpcUrl) : anvil.rpcUrl;
    const functionsDatabaseUrl = options.databaseUrlFor
      ? await options.databaseUrlFor(databaseUrl)
      : databaseUrl;
    const settings = localSettings(
      {
        databaseUrl: functionsDatabaseUrl,
        rpcUrl,
        chainId: anvil.chainId,
        walletPrivateKey: wallet.privateKey,
        signingKey,
        tasksEndpoint: tasks.endpoint,
        retryPaymentUrl: url('retryPayment'),
        recordFailureUrl: url('recordFailure'),
        consoleUrl: url('adminApi'),
        upstreamUrl: upstream.url,
        assets: testTokenAssets(tokens),
      },
      options.settings,
    );
    const env = { ...functionEnvironment(process.env, settings), ...options.functionEnv };
    const functions = {} as Record<FunctionName, FunctionProcess | null>;
    const startFunction = async (name: FunctionName) => {
      const child = startFunctionProcess({
        name,
        port: functionPorts[name],
        source,
        cwd: repoRoot(),
        env,
        onLine: (stream, line) => sink({ kind: 'function', function: name, stream, line }),
      });
      stops.push(() => child.stop());
      await child.waitUntilUp(options.functionStartTimeoutMs ?? 90_000);
      return child;
    };
    await timed('functions', () =>
      Promise.all(
        FUNCTION_NAMES.map(async (name) => {
          try {
            functions[name] = await startFunction(name);
          } catch (error) {
            if (!(error instanceof MissingTargetError)) throw error;
            functions[name] = null;
            sink({
              kind: 'stack',
              severity: 'WARNING',
              message: `${name} is not exported by ${source} yet; not served`,
            });
          }
        }),
      ),
    );

    const description: StackFile = {
      chainId: anvil.chainId,
      rpcUrl: anvil.rpcUrl,
      databaseUrl,
      signingKey,
      wallet: { address: wallet.address },
      tokens: {
        usdt: { address: tokens.usdt, decimals: TEST_TOKENS.usdt.decimals },
        usdc: { address: tokens.usdc, decimals: TEST_TOKENS.usdc.decimals },
        dai: { address: tokens.dai, decimals: TEST_TOKENS.dai.decimals },
      },
      tasks: {
        endpoint: tasks.endpoint,
        project: LOCAL_PROJECT,
        location: LOCAL_LOCATION,
        queues: { payment: LOCAL_QUEUES.payment, retry: LOCAL_QUEUES.retry, failure: LOCAL_QUEUES.failure },
      },
      functions: Object.fromEntries(
        FUNCTION_NAMES.map((name) => [name, functions[name] ? url(name) : null]),
      ) as StackFile['functions'],
      upstream: { url: upstream.url, received: upstream.receivedUrl },
    };
    if (options.schedulerSeconds && functions.recoverPayments) {
      const target = `${url('recoverPayments')}/`;
      const timer = setInterval(() => {
        fetch(target, { method: 'POST', headers: { 'user-agent': 'Google-Cloud-Scheduler' } })
          .then((response) => response.body?.cancel())
          .catch((error: unknown) =>
            sink({ kind: 'stack', severity: 'WARNING', message: `scheduler: ${error}` }),
          );
      }, options.schedulerSeconds * 1000);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }
    let stopping: Promise<void> | undefined;
    return {
      description,
      walletPrivateKey: wallet.privateKey,
      postgres,
      anvil,
      tasks,
      upstream,
      functions,
      timings,
      functionEnv: env,
      async restartFunction(name) {
        await functions[name]?.stop();
        functions[name] = await startFunction(name);
      },
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/** A port per function: the ones given, free ones for the rest. */
async function pickPorts(given: StartStackOptions['ports'] = {}): Promise<Record<FunctionName, number>> {
  const free = await freePorts(FUNCTION_NAMES.length);
  return Object.fromEntries(FUNCTION_NAMES.map((name, i) => [name, given[name] ?? free[i]])) as Record<
    FunctionName,
    number
  >;
}

type Settled<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/** Like Promise.all, but waits for every part before throwing, so nothing is left starting unseen. */
async function settleAll<T extends readonly unknown[]>(promises: T): Promise<Settled<T>> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as Settled<T>;
}
