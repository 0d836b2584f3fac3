import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { runCli } from '../../../bin/cli.js';
import { runFailedCommand } from '../../../bin/failed.js';
import { createAdminApi } from '../../../functions/adminApi.js';
import { googleIdTokenVerifier } from '../../../shared/admin/operatorIdentity.js';
import {
  claimPayout,
  type FailedTransactionParams,
  getFailedTransaction,
  getPayout,
  insertFailedTransaction,
  markPayoutFailed,
  recordSignedTransaction,
} from '../../../shared/db/index.js';
import { failureParams, payoutRequest } from '../../support/dbFixtures.js';
import { startFunction } from '../../support/hostpay.js';
import { createIdTokenIssuer, type MetadataServer, startMetadataServer } from '../../support/idTokens.js';
import type { TestDatabase } from '../../support/postgres.js';
import { type RecoveryFixture, startRecoveryFixture } from '../../support/recoveryFixture.js';

const SIGNING_KEY = 'cli-failed-test-signing-key-0123456789';

describe('hostpay failed and hostpay payouts (operator CLI)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let fixture: RecoveryFixture;
  let apiUrl: string;
  let env: Record<string, string>;
  let close: () => Promise<void>;

  before(async () => {
    fixture = await startRecoveryFixture({ signingKey: SIGNING_KEY });
    ({ db, env } = fixture);
    const handler = createAdminApi({ env: fixture.adminEnv, write: () => undefined });
    const served = await startFunction('adminApiCliTest', handler);
    apiUrl = served.url;
    close = served.close;
  });

  after(async () => {
    await close?.();
    await fixture?.stop();
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

  /** The whole command line, as `hostpay …` runs it. */
  async function hostpay(args: string[], extraEnv: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      isTTY: false,
      env: { USER: 'carol', HOSTPAY_LOCAL_DIR: '/nonexistent/hostpay-test', ...extraEnv },
    });
    return { code, out, err };
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

  /** A payout with one signed transaction stored (not broadcast): enough for every read. */
  async function seedPayoutWithTransaction() {
    const request = payoutRequest({ context: 'threshold', recipient: Wallet.createRandom().address });
    await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
    const hash = `0x${randomBytes(32).toString('hex')}`;
    await recordSignedTransaction(db.sql, {
      uniqueId: request.uniqueId,
      chainId: 1,
      fromAddress: Wallet.createRandom().address,
      hash,
      nonce: 7,
      kind: 'transfer',
      maxFeePerGas: 30_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      gasLimit: 65_000n,
      rawTransaction: '0x02f8',
    });
    return { request, hash };
  }

  for (const mode of ['api', 'database'] as const) {
    describe(`hostpay payouts through the ${mode === 'api' ? 'admin API' : 'database'}`, () => {
      const target = () => (mode === 'api' ? ['--api', apiUrl] : ['--database-url', db.url]);

      it('lists payouts whatever their state, filtered, as a table and as JSON', async () => {
        const { request } = await seedPayoutWithTransaction();
        const table = await hostpay(['payouts', 'list', '--recipient', request.recipient, ...target()]);
        assert.equal(table.code, 0, table.err);
        assert.match(table.out, /^UNIQUE_ID\s+STATUS\s+AMOUNT\s+RECIPIENT/);
        assert.match(table.out, new RegExp(`${request.uniqueId}\\s+received\\s+3\\.11693635 usdt`));
        assert.match(table.out, /1 shown; last page/);
        const json = await hostpay(['payouts', 'list', '--status', 'received', '--json', ...target()]);
        const body = JSON.parse(json.out) as { items: { uniqueId: string }[] };
        assert.ok(body.items.some((p) => p.uniqueId === request.uniqueId));
        const other = await hostpay(['payouts', 'list', '--status', 'confirmed', '--json', ...target()]);
        assert.ok(!(JSON.parse(other.out) as typeof body).items.some((p) => p.uniqueId === request.uniqueId));
      });

      it('shows one payout by unique_id and by transaction hash, with its transactions', async () => {
        const { request, hash } = await seedPayoutWithTransaction();
        for (const key of [request.uniqueId, hash]) {
          const shown = await hostpay(['payouts', 'show', key, ...target()]);
          assert.equal(shown.code, 0, shown.err);
          assert.match(shown.out, new RegExp(`uniqueId\\s+${request.uniqueId}`));
          assert.match(shown.out, new RegExp(`${hash}  nonce 7  transfer  signed`));
          // Chain 1 has a public explorer: the line carries the link.
          assert.ok(shown.out.includes(`https://etherscan.io/tx/${hash}`), shown.out);
        }
      });

      it('answers exit 1 with the reason for an unknown payout or a bad filter', async () => {
        const unknown = await hostpay(['payouts', 'show', 'no-such-payout', ...target()]);
        assert.equal(unknown.code, 1);
        assert.match(
          unknown.err,
          /refused \(404 not_found\): no payout has unique_id or transaction no-such-payout/,
        );
        const bad = await hostpay(['payouts', 'list', '--status', 'paid', ...target()]);
        assert.equal(bad.code, 1);
        assert.match(bad.err, /refused \(400 .*status must be one of/);
      });
    });
  }

  it('names the target it talks to in the help text', async () => {
    const local = await hostpay(['payouts', '--help']);
    assert.equal(local.code, 0);
    assert.match(local.out, /current target: none \(no target/);
    const api = await hostpay(['payouts', '--help'], { HOSTPAY_ADMIN_URL: 'https://admin.example.run.app/' });
    assert.match(
      api.out,
      /current target: the adminApi at https:\/\/admin\.example\.run\.app\/, with an ID token for https:\/\/admin\.example\.run\.app from Application Default Credentials/,
    );
    const database = await hostpay(['failed', '--help'], { DATABASE_URL: db.url });
    assert.match(database.out, /current target: the database at 127\.0\.0\.1:\d+\//);
    assert.ok(!database.out.includes(new URL(db.url).password || 'no-password-in-url'), 'no password');
  });

  describe('against a deployed adminApi: the CLI gets its own ID token', () => {
    const AUDIENCE = 'https://hostpay-admin-test.a.run.app';
    const issuer = createIdTokenIssuer();
    let metadata: MetadataServer;
    let prodUrl: string;
    let closeProd: () => Promise<void>;
    const saved: Record<string, string | undefined> = {};
    // google-auth-library reads these from the process: the metadata server stands in for the one on
    // Cloud Shell or GCE; no credentials file can be found under an empty HOME.
    const PROCESS_ENV = [
      'GCE_METADATA_HOST',
      'METADATA_SERVER_DETECTION',
      'HOME',
      'GOOGLE_APPLICATION_CREDENTIALS',
    ];

    before(async () => {
      metadata = await startMetadataServer(issuer, 'dana@example.com');
      for (const name of PROCESS_ENV) saved[name] = process.env[name];
      process.env.GCE_METADATA_HOST = metadata.host;
      process.env.METADATA_SERVER_DETECTION = 'assume-present';
      process.env.HOME = '/nonexistent/hostpay-home';
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      const { TASKS_EMULATOR_HOST: _local, ...rest } = env;
      const handler = createAdminApi({
        env: {
          ...rest,
          HOSTPAY_ENV: 'production',
          // Production takes only https task targets; none is called by these reads and status changes.
          RETRY_PAYMENT_URL: 'https://retry.example.run.app',
          RECORD_FAILURE_URL: 'https://record.example.run.app',
          UPSTREAM_COMPLETED_URL: 'https://upstream.example/payment-completed',
          NOTICE_QUEUE: 'notices',
          RPC_URL: 'https://rpc.example',
          CHAIN_ID: '31337',
          WALLET_PRIVATE_KEY: Wallet.createRandom().privateKey,
          ADMIN_AUDIENCE: AUDIENCE,
          TASKS_INVOKER_SERVICE_ACCOUNT: 'tasks-invoker@hostpay-test.iam.gserviceaccount.com',
        },
        verifyIdToken: googleIdTokenVerifier({ certs: issuer.certs }),
        write: () => undefined,
      });
      const served = await startFunction('adminApiCliProdTest', handler);
      prodUrl = served.url;
      closeProd = served.close;
    });

    after(async () => {
      for (const name of PROCESS_ENV) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await closeProd?.();
      await metadata?.stop();
    });

    it('fetches a token for the audience through google-auth-library; adminApi records the verified e-mail', async () => {
      const failure = await seedFailedPayout();
      const listed = await hostpay(['payouts', 'list', '--json', '--api', prodUrl, '--audience', AUDIENCE]);
      assert.equal(listed.code, 0, listed.err);
      assert.ok(metadata.audiences.includes(AUDIENCE));
      // The operator flag is ignored in production: the change is recorded under the token's e-mail.
      const cancelled = await hostpay(
        [
          'failed',
          'cancel',
          failure.uniqueId,
          '--notes',
          'refunded',
          '--operator',
          'mallory',
          '--api',
          prodUrl,
        ],
        { HOSTPAY_ADMIN_AUDIENCE: AUDIENCE },
      );
      assert.equal(cancelled.code, 0, cancelled.err);
      const stored = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
      assert.match(stored?.adminNotes ?? '', /by dana@example\.com: refunded/);
    });

    it('is refused 401 when its token is for another audience', async () => {
      const refused = await hostpay([
        'payouts',
        'list',
        '--api',
        prodUrl,
        '--audience',
        'https://elsewhere.example',
      ]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.err,
        /refused \(401 unauthenticated\): the ID token does not verify for this service/,
      );
    });
  });

  it('exits 2 with the usage on a bad command line', async () => {
    assert.equal((await cli(['show'])).code, 2);
    assert.equal((await cli(['list', '--bogus'])).code, 2);
    assert.equal((await cli(['list'])).code, 2, 'no target');
    const unknown = await cli(['explode', 'x', '--api', 'http://127.0.0.1:9']);
    assert.equal(unknown.code, 2);
  });
});
