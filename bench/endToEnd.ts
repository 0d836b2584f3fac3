/**
 * End-to-end figures for `npm run bench`: hostpay through its real path (task → executePayment → chain →
 * ledger → notice) on the local stack, beside the seed's algorithm on the same node, both behind counting
 * proxies (JSON-RPC calls and HTTP requests; PostgreSQL round trips). Also each function's cold start
 * beside a hello-world function, and peak RSS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import postgres from 'postgres';
import { anvilRpc, setBalance } from '../local/anvil.js';
import { type PgCountingProxy, startPgCountingProxy } from '../local/pgProxy.js';
import { type RpcProxy, startRpcProxy } from '../local/rpcProxy.js';
import { freePorts } from '../local/stack/freePorts.js';
import { startFunctionProcess } from '../local/stack/functionProcess.js';
import { type RunningStack, startStack } from '../local/stack/index.js';
import { functionsSource, repoRoot } from '../local/stack/paths.js';
import { LOCAL_LOCATION, LOCAL_PROJECT, LOCAL_QUEUES } from '../local/stack/settings.js';
import { FUNCTION_NAMES } from '../shared/config/settings.js';
import { createTasksClient } from '../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../shared/tasks/enqueueTask.js';
import { encodePaymentRequest } from '../shared/token/index.js';
import { seedPayer } from './seed.js';

export interface RunFigures {
  payouts: number;
  firstAttemptSuccess: number;
  confirmed: number;
  rpcCallsPerPayout: number;
  httpRequestsPerPayout: number;
  rpcByMethod: Record<string, number>;
  dbRoundTripsPerPayout: number | null;
  goodPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  blocks: number;
  nonceGaps: number;
}

export interface EndToEnd {
  runs: { name: string; hostpay: RunFigures; seed: RunFigures | null }[];
  coldStartMs: Record<string, number>;
  peakRssMiB: Record<string, number>;
}

const ETH_WEI = 10n ** 14n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

/** 1-s blocks, or a block per transaction. anvil's interval 0 means no mining at all, so it goes first. */
async function mining(rpcUrl: string, mode: 'blocks' | 'auto') {
  if (mode === 'auto') {
    await anvilRpc(rpcUrl, 'evm_setIntervalMining', [0]);
    await anvilRpc(rpcUrl, 'evm_setAutomine', [true]);
  } else {
    await anvilRpc(rpcUrl, 'evm_setAutomine', [false]);
    await anvilRpc(rpcUrl, 'evm_setIntervalMining', [1]);
  }
}

export async function runEndToEnd(log: (line: string) => void): Promise<EndToEnd> {
  let rpc: RpcProxy | undefined;
  let db: PgCountingProxy | undefined;
  const stack: RunningStack = await startStack({
    rpcUrlFor: async (url) => {
      rpc = await startRpcProxy(url);
      return rpc.url;
    },
    databaseUrlFor: async (url) => {
      db = await startPgCountingProxy(url);
      return db.url;
    },
  });
  const sql = postgres(stack.description.databaseUrl, { max: 2, onnotice: () => undefined });
  const tasks = createTasksClient({ emulatorHost: stack.description.tasks.endpoint });
  const seedKey = Wallet.createRandom().privateKey;
  const seed = seedPayer(rpc!.url, stack.anvil.chainId, seedKey);
  await setBalance(stack.anvil.rpcUrl, seed.address, 100n * 10n ** 18n);
  const runId = randomBytes(3).toString('hex');
  let counter = 0;
  try {
    const hostpay = async (
      count: number,
      currency: 'eth' | 'usdt',
      concurrent: boolean,
    ): Promise<RunFigures> => {
      const ids: string[] = [];
      const enqueuedAt = new Map<string, number>();
      const startBlock = Number(await anvilRpc<string>(stack.anvil.rpcUrl, 'eth_blockNumber'));
      rpc!.reset();
      db!.reset();
      const started = Date.now();
      const send = async () => {
        const uniqueId = `bench-${runId}-${++counter}`;
        ids.push(uniqueId);
        const token = encodePaymentRequest(
          {
            unique_id: uniqueId,
            cn_api_id: 'bench',
            from_currency: currency,
            from_network: 'eth',
            from_amount: currency === 'eth' ? 0.0001 : 1.5,
            payin_address: Wallet.createRandom().address,
            context: 'instant',
          },
          { key: stack.description.signingKey, now: Math.floor(Date.now() / 1000), retryBlock: false },
        );
        enqueuedAt.set(uniqueId, Date.now());
        await enqueueTask(tasks, {
          project: LOCAL_PROJECT,
          location: LOCAL_LOCATION,
          queue: LOCAL_QUEUES.payment,
          url: stack.description.functions.executePayment!,
          body: { token },
          name: `bench-${runId}-${counter}`,
          dispatchDeadlineSeconds: 300,
        });
        return uniqueId;
      };
      const settled = async (wanted: string[]) => {
        for (;;) {
          const [row] = await sql<{ open: number; present: number }[]>`
            SELECT count(*) FILTER (WHERE status NOT IN ('confirmed', 'failed', 'cancelled'))::int AS open,
              count(*)::int AS present
            FROM payouts WHERE unique_id IN ${sql(wanted)}`;
          if (row?.open === 0 && row.present === wanted.length) return;
          await sleep(concurrent ? 200 : 50);
        }
      };
      if (concurrent) {
        await Promise.all(Array.from({ length: count }, send));
        await settled(ids);
      } else {
        for (let i = 0; i < count; i++) await settled([await send()]);
      }
      const rows = await sql<
        {
          unique_id: string;
          status: string;
          attempt_count: number;
          confirmed_at: Date | null;
          confirmed_block_number: string | null;
        }[]
      >`
        SELECT unique_id, status, attempt_count, confirmed_at, confirmed_block_number::text FROM payouts
        WHERE unique_id IN ${sql(ids)}`;
      const confirmed = rows.filter((r) => r.status === 'confirmed');
      const lastConfirmed = Math.max(...confirmed.map((r) => r.confirmed_at!.getTime()));
      const [nonceAfter] = await sql<
        { n: string }[]
      >`SELECT coalesce(max(next_nonce), 0)::text AS n FROM wallet_nonces`;
      const mined = Number(
        await anvilRpc<string>(stack.anvil.rpcUrl, 'eth_getTransactionCount', [
          stack.description.wallet.address,
          'latest',
        ]),
      );
      const counts = rpc!.counts();
      const calls = Object.values(counts).reduce((a, b) => a + b, 0);
      return {
        payouts: count,
        firstAttemptSuccess: confirmed.filter((r) => r.attempt_count === 1).length,
        confirmed: confirmed.length,
        rpcCallsPerPayout: calls / count,
        httpRequestsPerPayout: rpc!.httpRequests() / count,
        rpcByMethod: Object.fromEntries(Object.entries(counts).map(([m, n]) => [m, n / count])),
        dbRoundTripsPerPayout: db!.roundTrips() / count,
        goodPerSecond: (confirmed.length * 1000) / Math.max(1, lastConfirmed - started),
        p50Ms: percentile(
          confirmed.map((r) => r.confirmed_at!.getTime() - enqueuedAt.get(r.unique_id)!),
          50,
        ),
        p95Ms: percentile(
          confirmed.map((r) => r.confirmed_at!.getTime() - enqueuedAt.get(r.unique_id)!),
          95,
        ),
        blocks: Math.max(...confirmed.map((r) => Number(r.confirmed_block_number))) - startBlock,
        // Nonces the database handed out that the chain has not mined: a gap holds every later payout back.
        nonceGaps: Number(nonceAfter?.n ?? 0) - mined,
      };
    };

    const seedRun = async (count: number, concurrent: boolean): Promise<RunFigures> => {
      const startBlock = Number(await anvilRpc<string>(stack.anvil.rpcUrl, 'eth_blockNumber'));
      rpc!.reset();
      const started = Date.now();
      const one = async () => {
        const begun = Date.now();
        const outcome = await seed.pay(Wallet.createRandom().address, ETH_WEI);
        return { ...outcome, ms: (outcome.confirmedAtMs ?? begun) - begun };
      };
      const outcomes = concurrent
        ? await Promise.all(Array.from({ length: count }, one))
        : await (async () => {
            const list = [];
            for (let i = 0; i < count; i++) list.push(await one());
            return list;
          })();
      const ok = outcomes.filter((o) => o.ok);
      const counts = rpc!.counts();
      const calls = Object.values(counts).reduce((a, b) => a + b, 0);
      const mined = Number(
        await anvilRpc<string>(stack.anvil.rpcUrl, 'eth_getTransactionCount', [seed.address, 'latest']),
      );
      const pending = Number(
        await anvilRpc<string>(stack.anvil.rpcUrl, 'eth_getTransactionCount', [seed.address, 'pending']),
      );
      return {
        payouts: count,
        firstAttemptSuccess: ok.length,
        confirmed: ok.length,
        rpcCallsPerPayout: calls / count,
        httpRequestsPerPayout: rpc!.httpRequests() / count,
        rpcByMethod: Object.fromEntries(Object.entries(counts).map(([m, n]) => [m, n / count])),
        dbRoundTripsPerPayout: null,
        goodPerSecond:
          (ok.length * 1000) / Math.max(1, Math.max(...ok.map((o) => o.confirmedAtMs!)) - started),
        p50Ms: percentile(
          ok.map((o) => o.ms),
          50,
        ),
        p95Ms: percentile(
          ok.map((o) => o.ms),
          95,
        ),
        blocks: ok.length === 0 ? 0 : Math.max(...ok.map((o) => o.blockNumber!)) - startBlock,
        nonceGaps: pending - mined,
      };
    };

    const runs: EndToEnd['runs'] = [];
    await mining(stack.anvil.rpcUrl, 'blocks');
    log('20 sequential ETH payouts, 1-s blocks');
    runs.push({
      name: '20 sequential ETH, 1-s blocks',
      hostpay: await hostpay(20, 'eth', false),
      seed: await seedRun(20, false),
    });
    log('20 sequential USDT-like payouts, 1-s blocks');
    runs.push({
      name: '20 sequential USDT-like, 1-s blocks',
      hostpay: await hostpay(20, 'usdt', false),
      seed: null,
    });
    log('200 ETH payouts at once, 1-s blocks');
    runs.push({
      name: '200 ETH at once, 1-s blocks',
      hostpay: await hostpay(200, 'eth', true),
      seed: await seedRun(200, true),
    });
    await mining(stack.anvil.rpcUrl, 'auto');
    log('200 ETH payouts at once, auto-mined (seed: 200 sequential, its only working mode)');
    runs.push({
      name: '200 ETH at once, auto-mined',
      hostpay: await hostpay(200, 'eth', true),
      seed: await seedRun(200, false),
    });
    log('200 USDT-like payouts at once, auto-mined');
    runs.push({
      name: '200 USDT-like at once, auto-mined',
      hostpay: await hostpay(200, 'usdt', true),
      seed: null,
    });

    const peakRssMiB: Record<string, number> = {};
    for (const name of FUNCTION_NAMES) {
      const pid = stack.functions[name]?.pid;
      if (pid === undefined) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      peakRssMiB[name] = Math.round(kib / 1024);
    }
    log('cold starts');
    const coldStartMs = await coldStarts(stack);
    return { runs, coldStartMs, peakRssMiB };
  } finally {
    seed.close();
    await tasks.close();
    await sql.end({ timeout: 5 });
    await stack.stop().catch(() => undefined);
    await rpc?.stop();
    await db?.stop();
  }
}

/** Spawn to first answer for each function (built code, the stack's settings) and for a hello-world one. */
async function coldStarts(stack: RunningStack): Promise<Record<string, number>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hostpay-hello-'));
  const hello = path.join(dir, 'hello.mjs');
  await writeFile(hello, "export const hello = (req, res) => { res.send('ok'); };\n");
  const results: Record<string, number> = {};
  try {
    for (const [name, source] of [
      ['hello', hello],
      ...FUNCTION_NAMES.map((fn) => [fn, functionsSource()] as const),
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [port] = await freePorts(1);
        const started = performance.now();
        const child = startFunctionProcess({
          name,
          port: port!,
          source,
          cwd: repoRoot(),
          env: stack.functionEnv,
          onLine: () => undefined,
        });
        try {
          // Polled every 5 ms (the stack's own wait polls every 150 ms, too coarse to time a start).
          for (;;) {
            const answered = await fetch(`${child.url}/health`).then(
              () => true,
              () => false,
            );
            if (answered) break;
            if (child.exited() || performance.now() - started > 60_000)
              throw new Error(`${name} did not start`);
            await sleep(5);
          }
          samples.push(performance.now() - started);
        } finally {
          await child.stop();
        }
      }
      results[name] = percentile(samples, 50);
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
