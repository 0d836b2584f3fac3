import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Wallet } from 'ethers';
import { runFailedCommand } from '../../bin/failed.js';
import { createAdminApi } from '../../functions/adminApi.js';
import { type CloudTasksEmulator, startCloudTasksEmulator } from '../../local/cloudTasks/index.js';
import {
  claimPayout,
  type FailedTransactionParams,
  getFailedTransaction,
  getPayout,
  insertFailedTransaction,
  markPayoutFailed,
} from '../../shared/db/index.js';
import { startTaskTarget, type TaskTarget } from '../support/cloudTasks.js';
import { failureParams, payoutRequest } from '../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const PROJECT = 'hostpay-test';
const LOCATION = 'us-central1';
const SIGNING_KEY = 'cli-failed-test-signing-key-0123456789';

describe('hostpay failed (operator CLI)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let emulator: CloudTasksEmulator;
  let retryTarget: TaskTarget;
  let apiUrl: string;
  let env: Record<string, string>;
  let close: () => Promise<void>;

  before(async () => {
    db = await createTestDatabase();
    retryTarget = await startTaskTarget();
    emulator = await startCloudTasksEmulator({
      queues: [{ name: `projects/${PROJECT}/locations/${LOCATION}/queues/retry` }],
      minDispatchDeadlineSeconds: 1,
    });
    env = {
      HOSTPAY_ENV: 'local',
      DATABASE_URL: db.url,
      TOKEN_SIGNING_KEY: SIGNING_KEY,
      TASKS_PROJECT: PROJECT,
      TASKS_LOCATION: LOCATION,
      TASKS_EMULATOR_HOST: emulator.endpoint,
      RETRY_QUEUE: 'retry',
      RETRY_PAYMENT_URL: `${retryTarget.url}/retryPayment`,
      FAILURE_QUEUE: 'failure',
      RECORD_FAILURE_URL: `${retryTarget.url}/recordFailure`,
    };
    const handler = createAdminApi({
      env: {
        ...env,
        RPC_URL: 'http://127.0.0.1:9',
        CHAIN_ID: '31337',
        WALLET_PRIVATE_KEY: Wallet.createRandom().privateKey,
        NOTICE_QUEUE: 'notices',
        UPSTREAM_COMPLETED_URL: `${retryTarget.url}/payment-completed`,
      },
      write: () => undefined,
    });
    http('adminApiCliTest', handler);
    const server = getTestServer('adminApiCliTest');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    };
  });

  after(async () => {
    await close?.();
    await emulator?.stop();
    await retryTarget?.stop();
    await db?.drop();
  });

  async function cli(args: string[], extraEnv: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runFailedCommand(args, {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      // An empty local dir: no running stack to fall back on.
      env: { USER: 'carol', HOSTPAY_LOCAL_DIR: '/nonexistent/hostpay-test', ...extraEnv },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function seedFailedPayout(overrides: Partial<FailedTransactionParams> = {}) {
    const request = payoutRequest({ context: 'instant' });
    await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
    await markPayoutFailed(db.sql, {
      uniqueId: request.uniqueId,
      errorCode: 'INSUFFICIENT_FUNDS',
      errorMessage: 'low',
    });
    const { row } = await insertFailedTransaction(
      db.sql,
      failureParams({
        uniqueId: request.uniqueId,
        context: 'instant',
        fromAmount: request.amountDecimal,
        ...overrides,
      }),
    );
    return row;
  }

  for (const mode of ['api', 'database'] as const) {
    describe(`through the ${mode === 'api' ? 'admin API' : 'database'}`, () => {
      const target = () => (mode === 'api' ? ['--api', apiUrl] : ['--database-url', db.url]);
      const targetEnv = () => (mode === 'api' ? {} : env);

      it('lists as a table and as JSON', async () => {
        const failure = await seedFailedPayout();
        const table = await cli(['list', '--context', 'instant', ...target()], targetEnv());
        assert.equal(table.code, 0, table.err);
        assert.match(table.out, /^UNIQUE_ID\s+STATUS\s+ERROR/);
        assert.match(
          table.out,
          new RegExp(
            `${failure.uniqueId}\\s+failed_pending_review\\s+INSUFFICIENT_FUNDS\\s+instant\\s+3\\.11693635 usdt`,
          ),
        );
        const json = await cli(['list', '--context', 'instant', '--json', ...target()], targetEnv());
        const body = JSON.parse(json.out) as { items: { unique_id: string }[]; total: number };
        assert.ok(body.items.some((i) => i.unique_id === failure.uniqueId));
        assert.equal(body.total, body.items.length);
      });

      it('shows one failure with its payout', async () => {
        const failure = await seedFailedPayout();
        const shown = await cli(['show', failure.uniqueId, ...target()], targetEnv());
        assert.equal(shown.code, 0, shown.err);
        assert.match(shown.out, new RegExp(`unique_id\\s+${failure.uniqueId}`));
        assert.match(shown.out, /^payout$/m);
      });

      it('refuses a retry of INSUFFICIENT_FUNDS without --force with exit 1 and the reason, then retries with it', async () => {
        const failure = await seedFailedPayout();
        const refused = await cli(['retry', failure.uniqueId, ...target()], targetEnv());
        assert.equal(refused.code, 1);
        assert.match(refused.err, /not_retryable.*INSUFFICIENT_FUNDS/);
        const retried = await cli(
          ['retry', failure.uniqueId, '--force', '--notes', 'funded', ...target()],
          targetEnv(),
        );
        assert.equal(retried.code, 0, retried.err);
        assert.match(retried.out, /status\s+retry_scheduled/);
        const stored = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
        assert.equal(stored?.status, 'retry_scheduled');
        assert.match(stored?.adminNotes ?? '', /by carol: funded/);
      });

      it('cancels, and refuses an illegal status change afterwards', async () => {
        const failure = await seedFailedPayout();
        const cancelled = await cli(
          ['cancel', failure.uniqueId, '--notes', 'refunded', ...target()],
          targetEnv(),
        );
        assert.equal(cancelled.code, 0, cancelled.err);
        assert.equal((await getPayout(db.sql, { uniqueId: failure.uniqueId }))?.status, 'cancelled');
        const refused = await cli(['status', failure.uniqueId, 'failed_retryable', ...target()], targetEnv());
        assert.equal(refused.code, 1);
        assert.match(refused.err, /failed_cancelled to failed_retryable/);
      });
    });
  }

  it('exits 2 with the usage on a bad command line', async () => {
    assert.equal((await cli(['show'])).code, 2);
    assert.equal((await cli(['list', '--bogus'])).code, 2);
    assert.equal((await cli(['list'])).code, 2, 'no target');
    const unknown = await cli(['explode', 'x', '--api', 'http://127.0.0.1:9']);
    assert.equal(unknown.code, 2);
  });
});
