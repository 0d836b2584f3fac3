/**
 * What adminApi serves the console, through the Functions Framework on real parts (PostgreSQL, anvil with
 * the test tokens): GET /balances exact to the wei against the node, GET /stats exact against rows with
 * known times (percentiles by percentile_cont), the static files and their refusals, an explorer link per
 * transaction on a chain that has one; every exchange checked against the OpenAPI document. Also: the
 * console's files are found from `dist/` and from the deploy bundle's layout (docs/deploy.md step 1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { createAdminApi } from '../../../functions/adminApi.js';
import { type RunningAnvil, setBalance, startAnvil } from '../../../local/anvil.js';
import { deployTestTokens, fundWallet, testTokenAssets } from '../../../local/deployTokens.js';
import { OPENAPI } from '../../../shared/admin/openapi.js';
import { claimPayout, insertFailedTransaction, recordSignedTransaction } from '../../../shared/db/index.js';
import { failureParams, payoutRequest, randomHash, WALLET } from '../../support/dbFixtures.js';
import { startFunction } from '../../support/hostpay.js';
import { checkExchange, type Exchange } from '../../support/openapi.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const doc = OPENAPI as unknown as Parameters<typeof checkExchange>[0];
const ETH = 10n ** 18n;

describe('adminApi for the console: /balances, /stats, static files', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let anvil: RunningAnvil;
  let baseUrl: string;
  let close: () => Promise<void>;
  const wallet = Wallet.createRandom();
  const contract: Exchange[] = [];

  before(async () => {
    db = await createTestDatabase();
    anvil = await startAnvil();
    const tokens = await deployTestTokens(anvil.rpcUrl);
    await fundWallet(anvil.rpcUrl, {
      address: wallet.address,
      tokens,
      eth: 3n * ETH + 1n,
      mint: { usdt: 1_234_567n, dai: 5n * 10n ** 17n },
    });
    const served = await startFunction(
      'adminApiConsole',
      createAdminApi({
        env: {
          HOSTPAY_ENV: 'local',
          DATABASE_URL: db.url,
          RPC_URL: anvil.rpcUrl,
          CHAIN_ID: String(anvil.chainId),
          WALLET_PRIVATE_KEY: wallet.privateKey,
          ASSETS: JSON.stringify(testTokenAssets(tokens)),
          LOW_BALANCE_THRESHOLD_ETH: '2.5',
          TOKEN_SIGNING_KEY: 'console-api-test-signing-key-0123456789',
          TASKS_PROJECT: 'hostpay-test',
          TASKS_LOCATION: 'us-central1',
          TASKS_EMULATOR_HOST: '127.0.0.1:9',
          RETRY_QUEUE: 'retry',
          RETRY_PAYMENT_URL: 'http://127.0.0.1:9/retryPayment',
          FAILURE_QUEUE: 'failure',
          RECORD_FAILURE_URL: 'http://127.0.0.1:9/recordFailure',
          NOTICE_QUEUE: 'notices',
          UPSTREAM_COMPLETED_URL: 'http://127.0.0.1:9/payment-completed',
        },
        write: () => undefined,
      }),
    );
    baseUrl = served.url;
    close = served.close;
  });
  after(async () => {
    await close?.();
    await anvil?.stop();
    await db?.drop();
  });

  async function call(method: string, url: string) {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { 'x-operator': 'ops@example.com' },
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
    const body = json ? (JSON.parse(text) as Record<string, unknown>) : text;
    contract.push({ method, url, status: response.status, body, json });
    return {
      status: response.status,
      body: body as Record<string, unknown>,
      text,
      headers: response.headers,
    };
  }

  it('GET /balances: ETH and every configured token to the base unit, ETH flagged below the threshold', async () => {
    const answer = await call('GET', '/balances');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.address, wallet.address);
    assert.equal(answer.body.chain_id, anvil.chainId);
    assert.equal(answer.body.explorer_url, null, 'a local chain has no explorer');
    assert.equal(answer.body.low_balance_threshold_eth, '2.5');
    const bySymbol = Object.fromEntries(
      (answer.body.assets as { symbol: string }[]).map((a) => [a.symbol, a]),
    ) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(bySymbol), ['eth', 'dai', 'usdc', 'usdt'], 'ETH first, then every token');
    assert.deepEqual(
      [bySymbol.eth!.balance, bySymbol.eth!.base_units, bySymbol.eth!.low],
      ['3.000000000000000001', (3n * ETH + 1n).toString(), false],
    );
    assert.deepEqual(
      [bySymbol.usdt!.balance, bySymbol.usdt!.base_units, bySymbol.usdt!.low],
      ['1.234567', '1234567', false],
    );
    assert.deepEqual([bySymbol.dai!.balance, bySymbol.usdc!.balance], ['0.5', '0']);

    await setBalance(anvil.rpcUrl, wallet.address, 25n * 10n ** 17n - 1n);
    const low = await call('GET', '/balances');
    const eth = (low.body.assets as Record<string, unknown>[])[0]!;
    assert.deepEqual([eth.balance, eth.low], ['2.499999999999999999', true], 'one wei under the threshold');
    assert.equal((await call('GET', '/balances?x=1')).status, 400);
    assert.equal((await call('POST', '/balances')).status, 405);
  });

  it('GET /stats: payouts per bucket by status, time to confirm p50/p95, failures by error code', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const at = (ms: number) => new Date(minute + ms);
    const seed = async (status: string, createdMs: number, confirmSeconds?: number) => {
      const request = payoutRequest();
      await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
      await db.sql`
        UPDATE payouts SET status = ${status}, created_at = ${at(createdMs)},
          confirmed_at = ${confirmSeconds === undefined ? null : at(createdMs + confirmSeconds * 1000)},
          confirmed_tx_hash = ${confirmSeconds === undefined ? null : randomHash()},
          confirmed_block_number = ${confirmSeconds === undefined ? null : 1},
          lease_owner = NULL, lease_expires_at = NULL
        WHERE unique_id = ${request.uniqueId}`;
    };
    // Four confirmed within the minute after 5 s, each taking 1, 2, 3 and 10 s; one failed; one a minute later.
    for (const seconds of [1, 2, 3, 10]) await seed('confirmed', 5_000, seconds);
    await seed('failed', 20_000);
    await seed('pending_confirmation', 70_000);
    for (const [code, ms] of [
      ['INSUFFICIENT_FUNDS', 1_000],
      ['INSUFFICIENT_FUNDS', 30_000],
      ['NETWORK_TIMEOUT', 61_000],
    ] as const) {
      const { row } = await insertFailedTransaction(db.sql, failureParams({ errorCode: code }));
      await db.sql`UPDATE failed_transactions SET created_at = ${at(ms)} WHERE id = ${row.id}`;
    }

    const since = at(-60_000).toISOString();
    const answer = await call('GET', `/stats?since=${since}&bucket=60`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.bucket_seconds, 60);
    const m0 = at(0).toISOString();
    const m1 = at(60_000).toISOString();
    assert.deepEqual(answer.body.payouts, [
      { bucket: m0, status: 'confirmed', count: 4 },
      { bucket: m0, status: 'failed', count: 1 },
      { bucket: m1, status: 'pending_confirmation', count: 1 },
    ]);
    // percentile_cont over [1, 2, 3, 10]: p50 = 2.5; p95 at rank 2.85 = 3 + 0.85 × 7 = 8.95.
    const [confirm] = answer.body.time_to_confirm as { p95_seconds: number }[];
    assert.deepEqual(
      { ...confirm, p95_seconds: Number(confirm!.p95_seconds.toFixed(9)) },
      {
        bucket: m0,
        count: 4,
        p50_seconds: 2.5,
        p95_seconds: 8.95,
      },
    );
    assert.deepEqual(answer.body.failures, [
      { bucket: m0, error_code: 'INSUFFICIENT_FUNDS', count: 2 },
      { bucket: m1, error_code: 'NETWORK_TIMEOUT', count: 1 },
    ]);

    const wide = await call('GET', `/stats?since=${since}&bucket=600`);
    assert.deepEqual(
      (wide.body.failures as { count: number }[]).reduce((sum, f) => sum + f.count, 0),
      3,
      'wider buckets hold the same failures',
    );
    const later = await call('GET', `/stats?since=${at(60_000).toISOString()}&bucket=60`);
    assert.deepEqual(later.body.time_to_confirm, [], 'since excludes what came before');
  });

  for (const [query, part] of [
    ['bucket=5', 'bucket'],
    ['bucket=sixty', 'bucket'],
    ['since=yesterday', 'since'],
    [`since=${new Date(Date.now() - 2 * 86_400_000).toISOString()}&bucket=60`, 'since'],
    [`since=${new Date(Date.now() + 3_600_000).toISOString()}`, 'since'],
    ['until=2020-01-01', 'until'],
  ] as const) {
    it(`GET /stats?${query.slice(0, 40)} is a 400 naming ${part}`, async () => {
      const answer = await call('GET', `/stats?${query}`);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error, 'invalid_query');
      assert.match(String(answer.body.message), new RegExp(`parameter ${part}`));
    });
  }

  it('gives each transaction its explorer page on a chain that has one', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
    const hash = randomHash();
    await recordSignedTransaction(db.sql, {
      uniqueId: request.uniqueId,
      chainId: 1,
      fromAddress: WALLET,
      hash,
      nonce: 3,
      kind: 'transfer',
      maxFeePerGas: 30_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      gasLimit: 65_000n,
      rawTransaction: '0x02f8',
    });
    const answer = await call('GET', `/payouts/${hash}`);
    assert.equal(answer.status, 200, answer.text);
    const [transaction] = answer.body.transactions as { explorer_url: string | null }[];
    assert.equal(transaction?.explorer_url, `https://etherscan.io/tx/${hash}`);
  });

  it('serves the page and its files without a token, with a strict content security policy', async () => {
    const page = await fetch(`${baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await page.text(), /<script type="module" src="console\/app\.js">/);
    const uplot = await call('GET', '/console/uPlot.iife.min.js');
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(uplot.text, readFileSync('node_modules/uplot/dist/uPlot.iife.min.js', 'utf8'));
    assert.equal(
      (await call('GET', '/console/style.css')).headers.get('content-type'),
      'text/css; charset=utf-8',
    );
    for (const missing of [
      '/console/..%2Fpackage.json',
      '/console/.gitignore',
      '/console/app.ts',
      '/console/x/app.js',
    ]) {
      const answer = await call('GET', missing);
      assert.deepEqual([answer.status, answer.body.error], [404, 'not_found'], missing);
    }
    assert.equal((await call('DELETE', '/console/app.js')).status, 405);
  });

  it('every exchange is one the OpenAPI document describes', () => {
    assert.deepEqual(
      contract.flatMap((exchange) => checkExchange(doc, exchange)),
      [],
    );
  });
});

describe('console files in the deployed bundle', function () {
  this.timeout(30_000);
  const find = (module: string) =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import(${JSON.stringify(module)}).then((m) => console.log(m.CONSOLE_DIR))`,
      ],
      {
        encoding: 'utf8',
      },
    ).trim();

  it('are found from dist/ (npm test builds before mocha) and from the bundle of docs/deploy.md step 1', () => {
    const built = path.resolve('dist/shared/console/static.js');
    assert.ok(existsSync(built), 'dist/ is built (npm run build)');
    assert.equal(find(built), path.resolve('console') + path.sep);
    const bundle = mkdtempSync(path.join(tmpdir(), 'hostpay-bundle-'));
    try {
      cpSync('dist', path.join(bundle, 'dist'), { recursive: true });
      cpSync('console', path.join(bundle, 'console'), { recursive: true });
      cpSync('package.json', path.join(bundle, 'package.json'));
      symlinkSync(path.resolve('node_modules'), path.join(bundle, 'node_modules'));
      assert.equal(
        find(path.join(bundle, 'dist/shared/console/static.js')),
        path.join(bundle, 'console') + path.sep,
      );
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });
});
