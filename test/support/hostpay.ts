/**
 * hostpay on real parts for integration tests: PostgreSQL, anvil behind a counting proxy, the local Cloud
 * Tasks endpoint, the functions served through the Functions Framework, and local recorders standing in
 * for the upstream and Slack.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Wallet } from 'ethers';
import { createAdminApi } from '../../functions/adminApi.js';
import { createExecutePayment } from '../../functions/executePayment.js';
import { createRecordFailure } from '../../functions/recordFailure.js';
import { createRecoverPayments } from '../../functions/recoverPayments.js';
import { createRetryPayment } from '../../functions/retryPayment.js';
import { type RunningAnvil, startAnvil } from '../../local/anvil.js';
import { type CloudTasksEmulator, startCloudTasksEmulator } from '../../local/cloudTasks/index.js';
import {
  deployTestTokens,
  fundWallet,
  type TestTokenAddresses,
  testTokenAssets,
} from '../../local/deployTokens.js';
import { type RpcProxy, startRpcProxy } from '../../local/rpcProxy.js';
import { getPayout, type Payout } from '../../shared/db/index.js';
import type { ClosableHttpFunction } from '../../shared/runtime/httpFunction.js';
import { createTasksClient } from '../../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../../shared/tasks/enqueueTask.js';
import { encodePaymentRequest, type PaymentRequestInput } from '../../shared/token/index.js';
import { startTaskTarget, type TaskTarget } from './cloudTasks.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const PROJECT = 'hostpay-local';
export const LOCATION = 'us-central1';
export const QUEUES = { payment: 'payment', retry: 'retry', failure: 'failure', notices: 'notices' } as const;

export interface Harness {
  db: TestDatabase;
  anvil: RunningAnvil;
  proxy: RpcProxy;
  emulator: CloudTasksEmulator;
  upstream: TaskTarget;
  slack: TaskTarget;
  wallet: Wallet;
  tokens: TestTokenAddresses;
  signingKey: string;
  env: Record<string, string>;
  urls: {
    executePayment: string;
    retryPayment: string;
    recordFailure: string;
    adminApi: string;
    recoverPayments: string;
  };
  /** Every structured log line the functions wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Every raw log line, for the secret check. */
  rawLogs: string[];
  /** Signs a payment request as HostPay1 would. */
  token(fields: Partial<PaymentRequestInput> & { unique_id: string }, nowSeconds?: number): string;
  /** Enqueues a payment request on the payment queue, as the upstream does. */
  pay(fields: Partial<PaymentRequestInput> & { unique_id: string }): Promise<string>;
  /** POSTs a body straight to a function. */
  post(
    fn: keyof Harness['urls'],
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  payout(uniqueId: string): Promise<Payout | null>;
  waitForPayout(uniqueId: string, statuses: string[], timeoutMs?: number): Promise<Payout>;
  events(type: string, uniqueId?: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

let served = 0;

export async function startFunction(
  name: string,
  handler: ClosableHttpFunction,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  served += 1;
  const registered = `${name}_${served}`;
  http(registered, handler);
  const server = getTestServer(registered);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    },
  };
}

/** Fails on any log line the functions wrote that holds one of the harness's secrets. */
export function assertNoSecretInLogs(h: Pick<Harness, 'wallet' | 'signingKey' | 'env' | 'rawLogs'>): void {
  const secrets = [h.wallet.privateKey, h.wallet.privateKey.slice(2), h.signingKey, h.env.SLACK_WEBHOOK_URL!];
  for (const line of h.rawLogs) {
    for (const secret of secrets) {
      if (line.includes(secret))
        throw new Error(`a secret in a log line: ${line.replaceAll(secret, '<secret>').slice(0, 300)}`);
    }
  }
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts every part; `env` overrides settings (shortened delays by default). */
export async function startHarness(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const db = await createTestDatabase();
    stops.push(() => db.drop());
    const anvil = await startAnvil();
    stops.push(() => anvil.stop());
    const proxy = await startRpcProxy(anvil.rpcUrl);
    stops.push(() => proxy.stop());
    const queueName = (q: string) => `projects/${PROJECT}/locations/${LOCATION}/queues/${q}`;
    const emulator = await startCloudTasksEmulator({
      queues: Object.values(QUEUES).map((q) => ({
        name: queueName(q),
        retry: { maxAttempts: 20, minBackoffSeconds: 0.2, maxBackoffSeconds: 1 },
      })),
      minDispatchDeadlineSeconds: 1,
    });
    stops.push(() => emulator.stop());
    const upstream = await startTaskTarget();
    stops.push(() => upstream.stop());
    const slack = await startTaskTarget();
    stops.push(() => slack.stop());

    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const tokens = await deployTestTokens(anvil.rpcUrl);
    await fundWallet(anvil.rpcUrl, {
      address: wallet.address,
      tokens,
      eth: 100n * 10n ** 18n,
      mint: { usdt: 10n ** 12n, usdc: 10n ** 12n, dai: 10n ** 24n },
    });
    const signingKey = `test-signing-key-${wallet.address.slice(2, 18)}`;

    const env: Record<string, string> = {};
    const rawLogs: string[] = [];
    const logs: Record<string, unknown>[] = [];
    const write = (line: string) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    };
    const fns = {
      executePayment: await startFunction('executePayment', createExecutePayment({ env, write })),
      retryPayment: await startFunction('retryPayment', createRetryPayment({ env, write })),
      recordFailure: await startFunction('recordFailure', createRecordFailure({ env, write })),
      adminApi: await startFunction('adminApi', createAdminApi({ env, write })),
      recoverPayments: await startFunction('recoverPayments', createRecoverPayments({ env, write })),
    };
    for (const fn of Object.values(fns)) stops.push(() => fn.close());
    const urls = {
      executePayment: fns.executePayment.url,
      retryPayment: fns.retryPayment.url,
      recordFailure: fns.recordFailure.url,
      adminApi: fns.adminApi.url,
      recoverPayments: fns.recoverPayments.url,
    };
    Object.assign(env, {
      HOSTPAY_ENV: 'local',
      DATABASE_URL: db.url,
      RPC_URL: proxy.url,
      CHAIN_ID: String(anvil.chainId),
      WALLET_PRIVATE_KEY: wallet.privateKey,
      TOKEN_SIGNING_KEY: signingKey,
      TASKS_PROJECT: PROJECT,
      TASKS_LOCATION: LOCATION,
      PAYMENT_QUEUE: QUEUES.payment,
      RETRY_QUEUE: QUEUES.retry,
      FAILURE_QUEUE: QUEUES.failure,
      NOTICE_QUEUE: QUEUES.notices,
      TASKS_EMULATOR_HOST: emulator.endpoint,
      RETRY_PAYMENT_URL: urls.retryPayment,
      RECORD_FAILURE_URL: urls.recordFailure,
      UPSTREAM_COMPLETED_URL: `${upstream.url}/payment-completed`,
      UPSTREAM_FAILED_URL: `${upstream.url}/payment-failed`,
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/${'x'.repeat(24)}`,
      CONSOLE_URL: urls.adminApi,
      PAYMENT_CAPS: JSON.stringify({ eth: '10', usdt: '100000', usdc: '100000', dai: '100000' }),
      ASSETS: JSON.stringify(testTokenAssets(tokens)),
      RETRY_DELAY_SECONDS: '1',
      RATE_LIMIT_RETRY_DELAY_SECONDS: '2',
      RECEIPT_WAIT_SECONDS: '3',
      CONFIRMATION_CHECK_DELAY_SECONDS: '1',
      LEASE_SECONDS: '15',
      RPC_TIMEOUT_SECONDS: '5',
      REORG_SAFE_DEPTH: '1',
      ...options.env,
    });

    const tasks = createTasksClient({ emulatorHost: emulator.endpoint });
    stops.push(() => tasks.close());
    const token: Harness['token'] = (fields, nowSeconds = Math.floor(Date.now() / 1000)) =>
      encodePaymentRequest(
        {
          cn_api_id: 'cn-test',
          from_currency: 'eth',
          from_network: 'eth',
          from_amount: 0.01,
          payin_address: Wallet.createRandom().address,
          context: 'instant',
          ...fields,
        },
        { key: signingKey, now: nowSeconds, retryBlock: false },
      );
    const harness: Harness = {
      db,
      anvil,
      proxy,
      emulator,
      upstream,
      slack,
      wallet,
      tokens,
      signingKey,
      env,
      urls,
      logs,
      rawLogs,
      token,
      pay: async (fields) => {
        const signed = token(fields);
        await enqueueTask(tasks, {
          project: PROJECT,
          location: LOCATION,
          queue: QUEUES.payment,
          url: urls.executePayment,
          body: { token: signed },
          name: `pay-${fields.unique_id.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now()}`,
          dispatchDeadlineSeconds: 60,
        });
        return signed;
      },
      post: async (fn, body, headers = {}) => {
        const response = await fetch(urls[fn], {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await response.text();
        let parsed: Record<string, unknown> = { text };
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {}
        return { status: response.status, body: parsed };
      },
      payout: (uniqueId) => getPayout(db.sql, { uniqueId }),
      waitForPayout: (uniqueId, statuses, timeoutMs = 30_000) =>
        waitUntil(
          async () => {
            const p = await getPayout(db.sql, { uniqueId });
            return p && statuses.includes(p.status) ? p : undefined;
          },
          timeoutMs,
          `payout ${uniqueId} to reach ${statuses.join('|')}`,
        ),
      events: (type, uniqueId) =>
        logs.filter((l) => l.event_type === type && (uniqueId === undefined || l.unique_id === uniqueId)),
      stop: async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
    return harness;
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}
