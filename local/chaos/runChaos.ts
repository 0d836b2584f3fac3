/**
 * The chaos run (docs/architecture.md, "Chaos"): the local stack, many payouts, every fault the platform
 * can produce at once, then the chain and the database judge each payout. `local/chaos.ts` is its command
 * line (`npm run chaos`); `test/integration/system/chaos.test.ts` runs a short one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import postgres from 'postgres';
import { FUNCTION_NAMES } from '../../shared/config/settings.js';
import { createTasksClient } from '../../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../../shared/tasks/enqueueTask.js';
import { CONTEXTS, encodePaymentRequest } from '../../shared/token/index.js';
import { anvilRpc, mineBlocks, reorg } from '../anvil.js';
import type { DeliveryAttempt } from '../cloudTasks/index.js';
import { type RpcProxy, startRpcProxy } from '../rpcProxy.js';
import { type RunningStack, startStack } from '../stack/index.js';
import { LOCAL_LOCATION, LOCAL_PROJECT, LOCAL_QUEUES } from '../stack/settings.js';
import { type AuditReport, auditRun, type PlannedPayout } from './audit.js';

export interface ChaosOptions {
  /** Payouts the upstream sends, each to its own recipient. */
  payouts: number;
  /** Over how long they are sent. */
  sendSeconds: number;
  /** Share of JSON-RPC requests faulted (429, 502, reset after the node acted, stall). */
  rpcFaultRate: number;
  /** How long a stalled RPC request is held before it is forwarded: longer than the lease. */
  stallMs: number;
  /**
   * Share of payouts whose payment task is enqueued twice at the same moment, and share of payment and retry
   * task deliveries repeated after the run.
   */
  duplicateRate: number;
  /** Odds of a SIGKILL at each kill point an attempt passes. */
  killOdds: number;
  /** How long PostgreSQL is frozen with SIGSTOP. */
  freezeMs: number;
  /** How long mining stops. */
  miningStopMs: number;
  /** Bound on settling once the faults are off. */
  settleTimeoutMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface FaultCounts {
  /** HTTP requests the proxy saw, and how many of each fault it answered instead. */
  rpcRequests: number;
  rpc: Record<string, number>;
  /** Deliveries of payment and retry tasks by the queue, before any repeat. */
  attemptDeliveries: number;
  duplicatesAtOnce: number;
  duplicatesLater: number;
  kills: Record<string, number>;
  restarts: number;
  connectionsTerminated: number;
  databaseFreezes: number;
  databaseRestarts: number;
  miningStops: number;
  reorgs: number;
  operatorCancels: number;
  operatorForcedRetries: number;
  schedulerRuns: number;
}

export interface ChaosReport {
  faults: FaultCounts;
  audit: AuditReport;
  durationSeconds: number;
}

/** The stack's timings for the run: a lease shorter than a stall, quick retries and checks. */
const CHAOS_SETTINGS = {
  LEASE_SECONDS: '6',
  RPC_TIMEOUT_SECONDS: '2',
  RECEIPT_WAIT_SECONDS: '3',
  CONFIRMATION_CHECK_DELAY_SECONDS: '2',
  RETRY_DELAY_SECONDS: '2',
  RATE_LIMIT_RETRY_DELAY_SECONDS: '3',
  STUCK_AFTER_SECONDS: '10',
  RECOVERY_COOLDOWN_SECONDS: '2',
  RECOVERY_BATCH_SIZE: '500',
  REORG_SAFE_DEPTH: '3',
  // A confirmed payout is final, so it must be confirmed deeper than any reorg the chain can make: the run's
  // 2-block reorg (docs/architecture.md, "Chaos"). At depth 1 a payout confirmed in one of the two blocks
  // rolled back would be paid by a transaction the chain no longer has.
  CONFIRMATIONS: '3',
} as const;

const ASSETS = [
  { currency: 'eth', decimals: 18, unit: 0.000001 },
  { currency: 'usdt', decimals: 6, unit: 0.01 },
  { currency: 'usdc', decimals: 6, unit: 0.01 },
  { currency: 'dai', decimals: 18, unit: 0.01 },
] as const;
const KILL_POINTS = ['payment_signed', 'payment_submitted', 'payment_confirmed'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const work = await mkdtemp(path.join(tmpdir(), 'hostpay-chaos-'));
  const control = path.join(work, 'kill-switch');
  await writeFile(control, 'off');
  const faults: FaultCounts = {
    rpcRequests: 0,
    rpc: {},
    attemptDeliveries: 0,
    duplicatesAtOnce: 0,
    duplicatesLater: 0,
    kills: {},
    restarts: 0,
    connectionsTerminated: 0,
    databaseFreezes: 0,
    databaseRestarts: 0,
    miningStops: 0,
    reorgs: 0,
    operatorCancels: 0,
    operatorForcedRetries: 0,
    schedulerRuns: 0,
  };
  const lines: string[] = [];
  const later: DeliveryAttempt[] = [];
  let proxy: RpcProxy | undefined;
  let stack: RunningStack | undefined;
  const background: Promise<unknown>[] = [];
  let running = true;
  try {
    stack = await startStack({
      settings: CHAOS_SETTINGS,
      functionEnv: {
        NODE_OPTIONS: `--import=${new URL('./killSwitch.mjs', import.meta.url).pathname}`,
        HOSTPAY_CHAOS_KILL: JSON.stringify(Object.fromEntries(KILL_POINTS.map((e) => [e, options.killOdds]))),
        HOSTPAY_CHAOS_CONTROL: control,
      },
      rpcUrlFor: async (anvilUrl) => {
        proxy = await startRpcProxy(anvilUrl);
        return proxy.url;
      },
      logSink: (event) => {
        if (event.kind === 'function') {
          lines.push(event.line);
          const kill = /^chaos-kill ([a-z_]+)/.exec(event.line)?.[1];
          if (kill) faults.kills[kill] = (faults.kills[kill] ?? 0) + 1;
        } else if (event.kind === 'delivery' && isAttempt(event.attempt)) {
          faults.attemptDeliveries += 1;
          if (Math.random() < options.duplicateRate) later.push(event.attempt);
        }
      },
    });
    const s = stack;
    const rpc = s.anvil.rpcUrl;
    const sql = postgres(s.description.databaseUrl, { max: 2, onnotice: () => undefined });
    const admin = postgres(s.postgres.url, { max: 1, onnotice: () => undefined });
    log(`stack up in ${Math.round((Date.now() - started) / 1000)} s; wallet ${s.description.wallet.address}`);

    // Blocks every second, as a real chain makes them, so depths grow while nothing is sent.
    await anvilRpc(rpc, 'evm_setAutomine', [false]);
    await anvilRpc(rpc, 'evm_setIntervalMining', [1]);
    await writeFile(control, 'on');
    proxy!.chaos({ rate: options.rpcFaultRate, stallMs: options.stallMs });

    // The platform: every killed function comes back on its port.
    background.push(
      (async () => {
        while (running) {
          for (const name of FUNCTION_NAMES) {
            if (s.functions[name]?.exited()) {
              faults.restarts += 1;
              await s
                .restartFunction(name)
                .catch((error: unknown) => log(`restart of ${name} failed: ${error}`));
            }
          }
          await sleep(200);
        }
      })(),
    );
    // Cloud Scheduler, every few seconds.
    const recover = () =>
      fetch(s.description.functions.recoverPayments!, { method: 'POST' })
        .then(() => {
          faults.schedulerRuns += 1;
        })
        .catch(() => undefined);
    background.push(
      (async () => {
        while (running) {
          await recover();
          await sleep(4_000);
        }
      })(),
    );
    // Operators racing the checks and sweeps: force-retry or cancel what they see failed.
    background.push(operatorsRacing(s, faults, () => running));

    const planned = await sendPayouts(s, options, faults, log);

    // The scheduled faults, spread over the sending time.
    const step = (options.sendSeconds * 1000) / 6;
    await sleep(step);
    faults.connectionsTerminated += (
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = 'hostpay' AND pid <> pg_backend_pid()`
    ).length;
    log(`terminated ${faults.connectionsTerminated} database connections`);
    await sleep(step);
    await freezeDatabase(s, options.freezeMs);
    faults.databaseFreezes += 1;
    log(`froze PostgreSQL for ${options.freezeMs} ms`);
    await anvilRpc(rpc, 'evm_setIntervalMining', [0]);
    faults.miningStops += 1;
    log(`mining stopped for ${options.miningStopMs} ms`);
    await sleep(options.miningStopMs);
    await anvilRpc(rpc, 'evm_setIntervalMining', [1]);
    await sleep(step);
    await s.postgres.restart();
    faults.databaseRestarts += 1;
    log('restarted PostgreSQL');
    await sleep(step);
    await anvilRpc(rpc, 'evm_setIntervalMining', [0]);
    await reorg(rpc, 2);
    await anvilRpc(rpc, 'evm_setIntervalMining', [1]);
    faults.reorgs += 1;
    log('reorganised the chain by 2 blocks');
    await sleep(step);

    // Faults off; the late duplicates arrive; the scheduler settles what is left.
    running = false;
    await Promise.allSettled(background);
    faults.rpc = proxy!.faultCounts();
    faults.rpcRequests = proxy!.httpRequests();
    proxy!.clearFaults();
    await writeFile(control, 'off');
    for (const name of FUNCTION_NAMES) if (s.functions[name]?.exited()) await s.restartFunction(name);
    faults.duplicatesLater = later.length;
    await Promise.all(later.map((attempt) => redeliver(attempt)));
    log(`faults off; ${later.length} deliveries repeated; settling`);
    const settled = await settle(s, sql, planned, options.settleTimeoutMs, recover, log);
    await mineBlocks(rpc, Number(CHAOS_SETTINGS.REORG_SAFE_DEPTH));
    const audit = await auditRun({
      rpcUrl: rpc,
      sql,
      wallet: s.description.wallet.address,
      tokens: s.description.tokens,
      planned,
      settled,
      received: s.upstream.received(),
      logLines: lines,
      secrets: [
        s.walletPrivateKey,
        s.walletPrivateKey.slice(2),
        s.description.signingKey,
        passwordOf(s.postgres.url),
      ],
    });
    await Promise.all([sql.end({ timeout: 5 }), admin.end({ timeout: 5 })]);
    return { faults, audit, durationSeconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    running = false;
    await Promise.allSettled(background);
    await stack?.stop().catch(() => undefined);
    await proxy?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function isAttempt(attempt: DeliveryAttempt): boolean {
  return /\/queues\/(payment|retry)$/.test(attempt.queueName);
}

/** The same task delivered again, as Cloud Tasks may: same URL, headers and body. */
async function redeliver(attempt: DeliveryAttempt): Promise<void> {
  const headers = Object.fromEntries(
    Object.entries(attempt.headers).filter(([name]) => name.toLowerCase() !== 'host'),
  );
  await fetch(attempt.url, { method: attempt.method, headers, body: new Uint8Array(attempt.body) }).catch(
    () => undefined,
  );
}

/** The upstream: each payout signed and enqueued on the payment queue; some enqueued twice at once. */
async function sendPayouts(
  stack: RunningStack,
  options: ChaosOptions,
  faults: FaultCounts,
  log: (line: string) => void,
): Promise<PlannedPayout[]> {
  const tasks = createTasksClient({ emulatorHost: stack.description.tasks.endpoint });
  const planned: PlannedPayout[] = [];
  const gap = (options.sendSeconds * 1000) / options.payouts;
  const runId = randomBytes(3).toString('hex');
  const sends: Promise<unknown>[] = [];
  try {
    for (let i = 0; i < options.payouts; i++) {
      const asset = ASSETS[i % ASSETS.length]!;
      const payout: PlannedPayout = {
        uniqueId: `chaos-${runId}-${i}`,
        currency: asset.currency,
        decimals: asset.decimals,
        amount: Number(((1 + (i % 97)) * asset.unit).toFixed(asset.decimals === 6 ? 2 : 6)),
        recipient: Wallet.createRandom().address,
        context: CONTEXTS[i % CONTEXTS.length]!,
      };
      planned.push(payout);
      const token = encodePaymentRequest(
        {
          unique_id: payout.uniqueId,
          cn_api_id: `cn-${i}`,
          from_currency: payout.currency,
          from_network: 'eth',
          from_amount: payout.amount,
          payin_address: payout.recipient,
          context: payout.context,
        },
        { key: stack.description.signingKey, now: Math.floor(Date.now() / 1000), retryBlock: false },
      );
      const copies = Math.random() < options.duplicateRate ? 2 : 1;
      if (copies === 2) faults.duplicatesAtOnce += 1;
      for (let copy = 0; copy < copies; copy++) {
        sends.push(
          enqueueTask(tasks, {
            project: LOCAL_PROJECT,
            location: LOCAL_LOCATION,
            queue: LOCAL_QUEUES.payment,
            url: stack.description.functions.executePayment!,
            body: { token },
            name: `chaos-${runId}-${i}-${copy}`,
            dispatchDeadlineSeconds: 120,
          }),
        );
      }
      if (i % 100 === 99) log(`sent ${i + 1} payouts`);
      await sleep(gap);
    }
    await Promise.all(sends);
    return planned;
  } finally {
    await tasks.close();
  }
}

/** Operators at the console: now and then a failure is force-retried or cancelled, racing checks and sweeps. */
async function operatorsRacing(
  stack: RunningStack,
  faults: FaultCounts,
  running: () => boolean,
): Promise<void> {
  const api = stack.description.functions.adminApi!;
  const headers = { 'content-type': 'application/json', 'x-operator': 'chaos-operator' };
  while (running()) {
    await sleep(3_000);
    try {
      const listed = (await (
        await fetch(`${api}/failed-transactions?status=failed_pending_review,failed_retryable&limit=50`, {
          headers,
        })
      ).json()) as { items?: { unique_id: string }[] };
      for (const item of listed.items ?? []) {
        const roll = Math.random();
        const id = encodeURIComponent(item.unique_id);
        if (roll < 0.3) {
          faults.operatorForcedRetries += 1;
          await fetch(`${api}/failed-transactions/${id}/retry`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ force: true, notes: 'chaos: forced retry' }),
          });
        } else if (roll < 0.45) {
          faults.operatorCancels += 1;
          await fetch(`${api}/failed-transactions/${id}/status`, {
            method: 'PUT',
            headers,
            body: JSON.stringify({ status: 'failed_cancelled', admin_notes: 'chaos: cancelled' }),
          });
        }
      }
    } catch {
      // The API may be mid-restart or the database frozen: the operator tries again later.
    }
  }
}

/** SIGSTOP on the server and every backend for `ms`, then SIGCONT: the database hangs, then wakes. */
async function freezeDatabase(stack: RunningStack, ms: number): Promise<void> {
  const main = stack.postgres.pid();
  if (main === undefined) return;
  const stopped: number[] = [];
  for (const pid of [main, ...(await childrenOf(main))]) {
    try {
      process.kill(pid, 'SIGSTOP');
      stopped.push(pid);
    } catch {
      // A backend that ended since the listing: nothing to freeze.
    }
  }
  await sleep(ms);
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
}

async function childrenOf(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/**
 * Waits, calling the scheduler, until every planned payout is settled: confirmed, cancelled, or failed with
 * its failure recorded and not being retried, and no task left in any queue. Returns whether it got there.
 */
async function settle(
  stack: RunningStack,
  sql: postgres.Sql,
  planned: PlannedPayout[],
  timeoutMs: number,
  recover: () => Promise<void>,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const ids = planned.map((p) => p.uniqueId);
  for (;;) {
    await recover();
    const [row] = await sql<{ open: number; unrecorded: number; retrying: number; present: number }[]>`
      SELECT
        count(*) FILTER (WHERE p.status NOT IN ('confirmed', 'cancelled', 'failed'))::int AS open,
        count(*) FILTER (WHERE p.status = 'failed' AND f.id IS NULL)::int AS unrecorded,
        count(*) FILTER (WHERE f.status IN ('retry_scheduled', 'retry_in_progress'))::int AS retrying,
        count(*)::int AS present
      FROM payouts p LEFT JOIN failed_transactions f ON f.unique_id = p.unique_id
      WHERE p.unique_id IN ${sql(ids)}`;
    const queued = stack.tasks.tasks().length;
    if (
      row &&
      row.open === 0 &&
      row.unrecorded === 0 &&
      row.retrying === 0 &&
      row.present === ids.length &&
      queued === 0
    ) {
      return true;
    }
    if (Date.now() > deadline) {
      log(`not settled in time: ${JSON.stringify(row)}, ${queued} tasks queued`);
      return false;
    }
    await sleep(3_000);
  }
}
