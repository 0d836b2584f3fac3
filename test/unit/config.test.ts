import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import {
  type Config,
  FUNCTION_NAMES,
  type FunctionName,
  loadConfig,
  SETTING_FIELDS,
  SETTINGS,
  type SettingName,
} from '../../shared/config/index.js';
import { HostpayError } from '../../shared/errors.js';
import type { SecretResolver } from '../../shared/secrets.js';

type Env = Record<string, string | undefined>;

const WALLET_KEY = Wallet.createRandom().privateKey;
const SIGNING_KEY = 'test-signing-key-0123456789abcdef';
const DB_PASSWORD = 'Sup3r-S3cret-Db-Pw';
const DATABASE_URL = `postgres://hostpay:${DB_PASSWORD}@127.0.0.1:5432/hostpay`;
const RPC_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const RPC_URL = `https://eth-mainnet.g.alchemy.com/v2/${RPC_KEY}`;
const SLACK_URL = 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx';

/** Every setting with no default, valid, for a local run of any function. */
function localEnv(overrides: Env = {}): Env {
  return {
    HOSTPAY_ENV: 'local',
    DATABASE_URL,
    RPC_URL,
    CHAIN_ID: '31337',
    WALLET_PRIVATE_KEY: WALLET_KEY,
    TOKEN_SIGNING_KEY: SIGNING_KEY,
    PAYMENT_CAPS: '{"eth":"5","usdt":"10000"}',
    TASKS_PROJECT: 'hostpay-local',
    TASKS_LOCATION: 'us-central1',
    RETRY_QUEUE: 'hostpay-retry',
    FAILURE_QUEUE: 'hostpay-failure',
    NOTICE_QUEUE: 'hostpay-notices',
    RETRY_PAYMENT_URL: 'http://127.0.0.1:8081/',
    RECORD_FAILURE_URL: 'http://127.0.0.1:8082/',
    UPSTREAM_COMPLETED_URL: 'http://127.0.0.1:9000/payment-completed',
    ...overrides,
  };
}

function productionEnv(overrides: Env = {}): Env {
  return localEnv({
    HOSTPAY_ENV: 'production',
    TASKS_INVOKER_SERVICE_ACCOUNT: 'tasks-invoker@hostpay-prod.iam.gserviceaccount.com',
    RETRY_PAYMENT_URL: 'https://retrypayment-abc-uc.a.run.app/',
    RECORD_FAILURE_URL: 'https://recordfailure-abc-uc.a.run.app/',
    UPSTREAM_COMPLETED_URL: 'https://hostpay1.example.com/payment-completed',
    ...overrides,
  });
}

/** The CONFIG_INVALID lines `env` produces; fails the test when it loads. */
async function problems(env: Env, functionName?: FunctionName, secrets?: SecretResolver): Promise<string[]> {
  try {
    await loadConfig(env, { functionName, secrets });
  } catch (error) {
    assert.ok(error instanceof HostpayError, `expected HostpayError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    const lines = error.message.split('\n').slice(1);
    assert.deepEqual(error.details.problems, lines);
    return lines;
  }
  assert.fail('expected CONFIG_INVALID');
}

/** A Secret Manager stand-in implementing the one method hostpay calls. */
function fakeSecretManager(secrets: Record<string, string | Uint8Array>) {
  const calls: string[] = [];
  const client: SecretResolver = {
    async accessSecretVersion({ name }) {
      calls.push(name);
      const data = secrets[name];
      if (data === undefined) {
        throw Object.assign(new Error(`7 PERMISSION_DENIED: Permission denied on resource ${name}`), {
          code: 7,
        });
      }
      return [{ payload: { data: typeof data === 'string' ? Buffer.from(data) : data } }, undefined, {}];
    },
  };
  return { client, calls };
}

const CANONICAL = [
  'HOSTPAY_ENV',
  'DATABASE_URL',
  'CLOUD_SQL_INSTANCE',
  'CLOUD_SQL_IP_TYPE',
  'DATABASE_USER',
  'DATABASE_NAME',
  'DATABASE_POOL_MAX',
  'RPC_URL',
  'CHAIN_ID',
  'WALLET_PRIVATE_KEY',
  'TOKEN_SIGNING_KEY',
  'TOKEN_SIGNING_KEY_PREVIOUS',
  'TOKEN_MAX_AGE_SECONDS',
  'TOKEN_MAX_FUTURE_SECONDS',
  'MAX_ATTEMPTS',
  'RETRY_DELAY_SECONDS',
  'RATE_LIMIT_RETRY_DELAY_SECONDS',
  'RECEIPT_WAIT_SECONDS',
  'CONFIRMATIONS',
  'CONFIRMATION_CHECK_DELAY_SECONDS',
  'PENDING_ALERT_SECONDS',
  'LEASE_SECONDS',
  'RPC_TIMEOUT_SECONDS',
  'REORG_SAFE_DEPTH',
  'MAX_FEE_PER_GAS_GWEI',
  'MAX_PRIORITY_FEE_PER_GAS_GWEI',
  'GAS_LIMIT_MARGIN_PERCENT',
  'FEE_BUMP_PERCENT',
  'PAYMENT_CAPS',
  'ASSETS',
  'LOW_BALANCE_THRESHOLD_ETH',
  'TASKS_PROJECT',
  'TASKS_LOCATION',
  'PAYMENT_QUEUE',
  'RETRY_QUEUE',
  'FAILURE_QUEUE',
  'NOTICE_QUEUE',
  'TASKS_EMULATOR_HOST',
  'TASKS_INVOKER_SERVICE_ACCOUNT',
  'RETRY_PAYMENT_URL',
  'RECORD_FAILURE_URL',
  'UPSTREAM_COMPLETED_URL',
  'UPSTREAM_COMPLETED_URLS',
  'UPSTREAM_FAILED_URL',
  'SLACK_WEBHOOK_URL',
  'CONSOLE_URL',
  'MAX_BODY_BYTES',
  'RECOVERY_COOLDOWN_SECONDS',
  'RECOVERY_MAX_AUTOMATED_RETRIES',
  'RECOVERY_BATCH_SIZE',
  'ADMIN_AUDIENCE',
  'STUCK_AFTER_SECONDS',
];

describe('config', () => {
  describe('settings table', () => {
    it('lists exactly the canonical settings, once each', () => {
      assert.deepEqual(
        SETTINGS.map((spec) => spec.env),
        CANONICAL,
      );
    });

    it('marks the five secrets as secret and nothing else', () => {
      assert.deepEqual(
        SETTINGS.filter((spec) => spec.secret).map((spec) => spec.env),
        [
          'DATABASE_URL',
          'RPC_URL',
          'WALLET_PRIVATE_KEY',
          'TOKEN_SIGNING_KEY',
          'TOKEN_SIGNING_KEY_PREVIOUS',
          'SLACK_WEBHOOK_URL',
        ],
      );
    });

    it('gives every setting a description and at least one reader, and no default to a required one', () => {
      for (const spec of SETTINGS) {
        assert.ok(spec.description.length > 10, spec.env);
        assert.ok(spec.functions.length > 0, spec.env);
        assert.ok(
          spec.functions.every((fn) => FUNCTION_NAMES.includes(fn)),
          spec.env,
        );
        if (spec.required) assert.equal(spec.default, undefined, spec.env);
      }
    });

    const readers: [string, readonly FunctionName[]][] = [
      ['RPC_URL', ['executePayment', 'retryPayment', 'adminApi']],
      ['CHAIN_ID', ['executePayment', 'retryPayment', 'adminApi']],
      ['WALLET_PRIVATE_KEY', ['executePayment', 'retryPayment', 'adminApi']],
      ['DATABASE_URL', FUNCTION_NAMES],
      ['CLOUD_SQL_INSTANCE', FUNCTION_NAMES],
      ['CLOUD_SQL_IP_TYPE', FUNCTION_NAMES],
      ['DATABASE_USER', FUNCTION_NAMES],
      ['DATABASE_NAME', FUNCTION_NAMES],
      ['DATABASE_POOL_MAX', FUNCTION_NAMES],
      ['TOKEN_SIGNING_KEY', FUNCTION_NAMES],
      ['SLACK_WEBHOOK_URL', ['recordFailure']],
      ['CONSOLE_URL', ['recordFailure']],
      ['UPSTREAM_FAILED_URL', ['recordFailure']],
      ['RECOVERY_BATCH_SIZE', ['recoverPayments']],
    ];
    for (const [name, functions] of readers) {
      it(`${name} is read by ${functions.join(', ')} only`, () => {
        assert.deepEqual(SETTINGS.find((spec) => spec.env === name)?.functions, functions);
      });
    }
  });

  describe('defaults (docs/architecture.md, "The flow")', () => {
    const defaults: [string, keyof Config, unknown][] = [
      ['HOSTPAY_ENV', 'env', 'production'],
      ['CLOUD_SQL_IP_TYPE', 'cloudSqlIpType', 'PRIVATE'],
      ['DATABASE_NAME', 'databaseName', 'hostpay'],
      ['DATABASE_POOL_MAX', 'databasePoolMax', 5],
      ['TOKEN_MAX_AGE_SECONDS', 'tokenMaxAgeSeconds', 7200],
      ['TOKEN_MAX_FUTURE_SECONDS', 'tokenMaxFutureSeconds', 5],
      ['MAX_ATTEMPTS', 'maxAttempts', 3],
      ['RETRY_DELAY_SECONDS', 'retryDelaySeconds', 60],
      ['RATE_LIMIT_RETRY_DELAY_SECONDS', 'rateLimitRetryDelaySeconds', 300],
      ['RECEIPT_WAIT_SECONDS', 'receiptWaitSeconds', 60],
      ['CONFIRMATIONS', 'confirmations', 1],
      ['CONFIRMATION_CHECK_DELAY_SECONDS', 'confirmationCheckDelaySeconds', 30],
      ['PENDING_ALERT_SECONDS', 'pendingAlertSeconds', 3600],
      ['LEASE_SECONDS', 'leaseSeconds', 180],
      ['RPC_TIMEOUT_SECONDS', 'rpcTimeoutSeconds', 10],
      ['REORG_SAFE_DEPTH', 'reorgSafeDepth', 64],
      ['MAX_FEE_PER_GAS_GWEI', 'maxFeePerGasWei', 300_000_000_000n],
      ['MAX_PRIORITY_FEE_PER_GAS_GWEI', 'maxPriorityFeePerGasWei', 2_000_000_000n],
      ['GAS_LIMIT_MARGIN_PERCENT', 'gasLimitMarginPercent', 20],
      ['FEE_BUMP_PERCENT', 'feeBumpPercent', 15],
      ['LOW_BALANCE_THRESHOLD_ETH', 'lowBalanceThresholdWei', 500_000_000_000_000_000n],
      ['MAX_BODY_BYTES', 'maxBodyBytes', 16384],
      ['RECOVERY_COOLDOWN_SECONDS', 'recoveryCooldownSeconds', 900],
      ['RECOVERY_MAX_AUTOMATED_RETRIES', 'recoveryMaxAutomatedRetries', 3],
      ['RECOVERY_BATCH_SIZE', 'recoveryBatchSize', 50],
      ['STUCK_AFTER_SECONDS', 'stuckAfterSeconds', 600],
    ];

    it('covers every setting that has a default', () => {
      assert.deepEqual(
        defaults.map(([name]) => name).sort(),
        SETTINGS.filter((spec) => spec.default !== undefined)
          .map((spec) => spec.env)
          .sort(),
      );
    });

    for (const [name, field, value] of defaults) {
      it(`${name} defaults to ${String(value)}`, async () => {
        const env = productionEnv();
        delete env[name];
        const config = await loadConfig(env);
        assert.equal(config[field], value);
      });
    }

    it('leaves optional settings undefined', async () => {
      const config = await loadConfig(localEnv());
      for (const field of [
        'cloudSqlInstance',
        'databaseUser',
        'tokenSigningKeyPrevious',
        'assets',
        'paymentQueue',
        'tasksEmulatorHost',
        'tasksInvokerServiceAccount',
        'upstreamCompletedUrls',
        'upstreamFailedUrl',
        'slackWebhookUrl',
      ] as const) {
        assert.equal(config[field], undefined, field);
      }
    });

    it('treats an empty value as unset', async () => {
      const config = await loadConfig(localEnv({ MAX_ATTEMPTS: '', UPSTREAM_FAILED_URL: '' }));
      assert.equal(config.maxAttempts, 3);
      assert.equal(config.upstreamFailedUrl, undefined);
    });
  });

  describe('valid values', () => {
    const cases: [string, Env, keyof Config, unknown][] = [
      ['an integer at the top of its range', { MAX_ATTEMPTS: '10' }, 'maxAttempts', 10],
      ['64 confirmations', { CONFIRMATIONS: '64' }, 'confirmations', 64],
      [
        'a fractional gwei fee cap, exactly',
        { MAX_FEE_PER_GAS_GWEI: '12.345678901' },
        'maxFeePerGasWei',
        12_345_678_901n,
      ],
      [
        'the smallest gwei fee cap',
        { MAX_FEE_PER_GAS_GWEI: '0.000000001', MAX_PRIORITY_FEE_PER_GAS_GWEI: '0' },
        'maxFeePerGasWei',
        1n,
      ],
      ['a zero priority fee', { MAX_PRIORITY_FEE_PER_GAS_GWEI: '0' }, 'maxPriorityFeePerGasWei', 0n],
      [
        'one wei of low-balance threshold',
        { LOW_BALANCE_THRESHOLD_ETH: '0.000000000000000001' },
        'lowBalanceThresholdWei',
        1n,
      ],
      [
        'a private key without 0x, in capitals',
        { WALLET_PRIVATE_KEY: WALLET_KEY.slice(2).toUpperCase() },
        'walletPrivateKey',
        WALLET_KEY,
      ],
      [
        'a secret with the trailing newline of a mounted file',
        { TOKEN_SIGNING_KEY: `${SIGNING_KEY}\n` },
        'tokenSigningKey',
        SIGNING_KEY,
      ],
      [
        'a Cloud SQL socket URL',
        { DATABASE_URL: 'postgresql:///hostpay?host=/cloudsql/p:us-central1:db' },
        'databaseUrl',
        'postgresql:///hostpay?host=/cloudsql/p:us-central1:db',
      ],
      [
        'a websocket RPC URL',
        { RPC_URL: 'wss://node.example.com/ws' },
        'rpcUrl',
        'wss://node.example.com/ws',
      ],
      [
        'payment caps as strings',
        { PAYMENT_CAPS: '{"eth":"0.5","usdt":"25000.25"}' },
        'paymentCaps',
        { eth: '0.5', usdt: '25000.25' },
      ],
      [
        'an asset override, address checksummed',
        { ASSETS: '{"usdt":{"address":"0xdac17f958d2ee523a2206206994597c13d831ec7","decimals":6}}' },
        'assets',
        { usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6 } },
      ],
      [
        'per-context completion URLs',
        { UPSTREAM_COMPLETED_URLS: '{"batch":"http://127.0.0.1:9000/batch-completed"}' },
        'upstreamCompletedUrls',
        { batch: 'http://127.0.0.1:9000/batch-completed' },
      ],
      [
        'the Tasks emulator when local',
        { TASKS_EMULATOR_HOST: '127.0.0.1:8123' },
        'tasksEmulatorHost',
        '127.0.0.1:8123',
      ],
      ['a Slack webhook', { SLACK_WEBHOOK_URL: SLACK_URL }, 'slackWebhookUrl', SLACK_URL],
    ];
    for (const [what, overrides, field, value] of cases) {
      it(`reads ${what}`, async () => {
        const config = await loadConfig(localEnv(overrides));
        assert.deepEqual(config[field], value);
      });
    }

    it('loads a complete production configuration', async () => {
      const config = await loadConfig(productionEnv());
      assert.equal(config.env, 'production');
      assert.equal(config.tasksInvokerServiceAccount, 'tasks-invoker@hostpay-prod.iam.gserviceaccount.com');
      assert.equal(config.chainId, 31337);
      assert.ok(Object.isFrozen(config));
    });
  });

  describe('bad values, each named on one line', () => {
    // [setting, value, expected line]; secret settings must never show their value.
    const cases: [string, string, RegExp][] = [
      ['HOSTPAY_ENV', 'prod', /^HOSTPAY_ENV: expected "production" or "local", got "prod"$/],
      ['MAX_ATTEMPTS', '0', /^MAX_ATTEMPTS: expected an integer from 1 to 10, got "0"$/],
      ['MAX_ATTEMPTS', '11', /^MAX_ATTEMPTS: expected an integer from 1 to 10/],
      ['MAX_ATTEMPTS', '3.0', /^MAX_ATTEMPTS: expected an integer from 1 to 10/],
      ['MAX_ATTEMPTS', ' 3', /^MAX_ATTEMPTS: expected an integer/],
      ['MAX_ATTEMPTS', '3e0', /^MAX_ATTEMPTS: expected an integer/],
      ['MAX_ATTEMPTS', '-1', /^MAX_ATTEMPTS: expected an integer/],
      ['MAX_ATTEMPTS', '0x3', /^MAX_ATTEMPTS: expected an integer/],
      ['CONFIRMATIONS', '65', /^CONFIRMATIONS: expected an integer from 1 to 64, got "65"$/],
      ['CONFIRMATIONS', '0', /^CONFIRMATIONS: expected an integer from 1 to 64/],
      ['CHAIN_ID', '0', /^CHAIN_ID: expected an integer from 1 to/],
      ['CHAIN_ID', '99999999999999999', /^CHAIN_ID: expected an integer/],
      ['TOKEN_MAX_AGE_SECONDS', '86401', /^TOKEN_MAX_AGE_SECONDS: expected an integer from 1 to 86400/],
      ['TOKEN_MAX_FUTURE_SECONDS', '301', /^TOKEN_MAX_FUTURE_SECONDS: expected an integer from 0 to 300/],
      ['RETRY_DELAY_SECONDS', 'sixty', /^RETRY_DELAY_SECONDS: expected an integer/],
      ['RECEIPT_WAIT_SECONDS', '1801', /^RECEIPT_WAIT_SECONDS: expected an integer from 0 to 1800/],
      [
        'CONFIRMATION_CHECK_DELAY_SECONDS',
        '0',
        /^CONFIRMATION_CHECK_DELAY_SECONDS: expected an integer from 1/,
      ],
      ['PENDING_ALERT_SECONDS', '0', /^PENDING_ALERT_SECONDS: expected an integer from 1/],
      ['LEASE_SECONDS', '3601', /^LEASE_SECONDS: expected an integer from 1 to 3600/],
      [
        'MAX_FEE_PER_GAS_GWEI',
        '1.0000000001',
        /^MAX_FEE_PER_GAS_GWEI: expected a decimal number of gwei .* at most 9 decimals/,
      ],
      [
        'MAX_FEE_PER_GAS_GWEI',
        '0',
        /^MAX_FEE_PER_GAS_GWEI: expected a decimal number of gwei from 0.000000001/,
      ],
      ['MAX_FEE_PER_GAS_GWEI', '1e3', /^MAX_FEE_PER_GAS_GWEI: expected a decimal number/],
      ['MAX_FEE_PER_GAS_GWEI', '100000.000000001', /^MAX_FEE_PER_GAS_GWEI: expected a decimal number/],
      ['MAX_PRIORITY_FEE_PER_GAS_GWEI', '-1', /^MAX_PRIORITY_FEE_PER_GAS_GWEI: expected a decimal number/],
      ['GAS_LIMIT_MARGIN_PERCENT', '101', /^GAS_LIMIT_MARGIN_PERCENT: expected an integer from 0 to 100/],
      ['FEE_BUMP_PERCENT', '9', /^FEE_BUMP_PERCENT: expected an integer from 10 to 100, got "9"$/],
      [
        'LOW_BALANCE_THRESHOLD_ETH',
        '0.0000000000000000001',
        /^LOW_BALANCE_THRESHOLD_ETH: .* at most 18 decimals/,
      ],
      ['PAYMENT_CAPS', 'eth=5', /^PAYMENT_CAPS: expected a JSON object, got "eth=5"$/],
      ['PAYMENT_CAPS', '["5"]', /^PAYMENT_CAPS: expected a JSON object/],
      ['PAYMENT_CAPS', '{"eth":5}', /^PAYMENT_CAPS: eth: expected a decimal string such as "1000.5", got 5$/],
      ['PAYMENT_CAPS', '{"eth":"0"}', /^PAYMENT_CAPS: eth: expected a cap above zero/],
      ['PAYMENT_CAPS', '{"eth":"1e3"}', /^PAYMENT_CAPS: eth: expected a decimal string/],
      ['PAYMENT_CAPS', '{"ETH":"5"}', /^PAYMENT_CAPS: ETH: expected a lower-case symbol/],
      [
        'ASSETS',
        '{"usdt":{"address":"0x1","decimals":6}}',
        /^ASSETS: usdt.address: expected a contract address/,
      ],
      [
        'ASSETS',
        '{"usdt":{"address":"0xDAC17F958D2ee523a2206206994597C13D831ec7","decimals":6}}',
        /^ASSETS: usdt.address: expected a contract address \(0x \+ 40 hex, valid checksum/,
      ],
      [
        'ASSETS',
        '{"usdt":{"address":"0xdAC17F958D2ee523a2206206994597C13D831ec7","decimals":6.5}}',
        /^ASSETS: usdt.decimals: expected an integer from 0 to 36, got 6.5$/,
      ],
      [
        'ASSETS',
        '{"usdt":{"address":"0xdAC17F958D2ee523a2206206994597C13D831ec7","decimals":6,"extra":1}}',
        /^ASSETS: usdt.extra: /,
      ],
      [
        'ASSETS',
        '{"eth":{"address":"0xdAC17F958D2ee523a2206206994597C13D831ec7","decimals":18}}',
        /^ASSETS: eth: "eth" is the native asset/,
      ],
      [
        'TASKS_PROJECT',
        'My Project',
        /^TASKS_PROJECT: expected a Google Cloud project id, got "My Project"$/,
      ],
      ['TASKS_LOCATION', 'US', /^TASKS_LOCATION: expected a region/],
      ['RETRY_QUEUE', 'retry/queue', /^RETRY_QUEUE: expected a queue id/],
      ['TASKS_EMULATOR_HOST', 'localhost', /^TASKS_EMULATOR_HOST: expected host:port, got "localhost"$/],
      ['TASKS_EMULATOR_HOST', 'localhost:70000', /^TASKS_EMULATOR_HOST: expected host:port/],
      [
        'TASKS_INVOKER_SERVICE_ACCOUNT',
        'tasks-invoker',
        /^TASKS_INVOKER_SERVICE_ACCOUNT: expected a service account email/,
      ],
      [
        'RETRY_PAYMENT_URL',
        'retry-payment',
        /^RETRY_PAYMENT_URL: expected an http\(s\) URL, got "retry-payment"$/,
      ],
      ['RECORD_FAILURE_URL', 'ftp://x/y', /^RECORD_FAILURE_URL: expected an http\(s\) URL/],
      ['UPSTREAM_COMPLETED_URL', 'http://host/ path', /^UPSTREAM_COMPLETED_URL: expected an http\(s\) URL/],
      [
        'UPSTREAM_COMPLETED_URLS',
        '{"instantly":"http://x/"}',
        /^UPSTREAM_COMPLETED_URLS: instantly: expected a context: instant, threshold, batch/,
      ],
      [
        'UPSTREAM_COMPLETED_URLS',
        '{"batch":"nope"}',
        /^UPSTREAM_COMPLETED_URLS: batch: expected an http\(s\) URL, got "nope"$/,
      ],
      ['UPSTREAM_FAILED_URL', 'x', /^UPSTREAM_FAILED_URL: expected an http\(s\) URL/],
      ['MAX_BODY_BYTES', '100', /^MAX_BODY_BYTES: expected an integer from 1024 to 1048576/],
      [
        'RECOVERY_COOLDOWN_SECONDS',
        '604801',
        /^RECOVERY_COOLDOWN_SECONDS: expected an integer from 0 to 604800/,
      ],
      [
        'RECOVERY_MAX_AUTOMATED_RETRIES',
        '11',
        /^RECOVERY_MAX_AUTOMATED_RETRIES: expected an integer from 0 to 10/,
      ],
      ['RECOVERY_BATCH_SIZE', '0', /^RECOVERY_BATCH_SIZE: expected an integer from 1 to 500/],
      ['STUCK_AFTER_SECONDS', '86401', /^STUCK_AFTER_SECONDS: expected an integer from 1 to 86400/],
      [
        'DATABASE_URL',
        'mysql://u:Pw-NotShown-123@host/db',
        /^DATABASE_URL: expected a postgres:\/\/ URL \(value not shown\)$/,
      ],
      [
        'DATABASE_URL',
        'postgres://u:Pw-NotShown-123@db.example.com/hostpay?sslmode=verify_full',
        /^DATABASE_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full$/,
      ],
      [
        'CLOUD_SQL_INSTANCE',
        'hostpay-prod/us-central1/db',
        /^CLOUD_SQL_INSTANCE: expected an instance connection name project:region:instance, got "hostpay-prod\/us-central1\/db"$/,
      ],
      ['CLOUD_SQL_INSTANCE', 'hostpay-prod:db', /^CLOUD_SQL_INSTANCE: expected an instance connection name/],
      ['CLOUD_SQL_IP_TYPE', 'private', /^CLOUD_SQL_IP_TYPE: expected PRIVATE, PUBLIC or PSC, got "private"$/],
      ['DATABASE_USER', 'pay"; DROP ROLE x; --', /^DATABASE_USER: expected a database user name/],
      ['DATABASE_USER', `${'a'.repeat(64)}`, /^DATABASE_USER: expected a database user name/],
      ['DATABASE_NAME', 'host pay', /^DATABASE_NAME: expected a database name/],
      ['DATABASE_POOL_MAX', '0', /^DATABASE_POOL_MAX: expected an integer from 1 to 100, got "0"$/],
      ['DATABASE_POOL_MAX', '101', /^DATABASE_POOL_MAX: expected an integer from 1 to 100/],
      [
        'RPC_URL',
        `ftp://node.example.com/${RPC_KEY}`,
        /^RPC_URL: expected an http\(s\) or ws\(s\) URL \(value not shown\)$/,
      ],
      [
        'WALLET_PRIVATE_KEY',
        `${WALLET_KEY}00`,
        /^WALLET_PRIVATE_KEY: expected a secp256k1 private key.* \(value not shown\)$/,
      ],
      ['WALLET_PRIVATE_KEY', `0x${'0'.repeat(64)}`, /^WALLET_PRIVATE_KEY: expected a secp256k1 private key/],
      ['WALLET_PRIVATE_KEY', `0x${'f'.repeat(64)}`, /^WALLET_PRIVATE_KEY: expected a secp256k1 private key/],
      [
        'TOKEN_SIGNING_KEY',
        'short-key-14ch',
        /^TOKEN_SIGNING_KEY: expected at least 16 bytes \(value not shown\)$/,
      ],
      [
        'TOKEN_SIGNING_KEY_PREVIOUS',
        'prev-short',
        /^TOKEN_SIGNING_KEY_PREVIOUS: expected at least 16 bytes \(value not shown\)$/,
      ],
      [
        'SLACK_WEBHOOK_URL',
        SLACK_URL.replace('https:', 'ftp:'),
        /^SLACK_WEBHOOK_URL: expected an http\(s\) URL \(value not shown\)$/,
      ],
    ];
    for (const [name, value, expected] of cases) {
      it(`${name}=${JSON.stringify(value.slice(0, 40))} is reported`, async () => {
        // An unreadable HOSTPAY_ENV is checked as production, so start from a production setup.
        const base = name === 'HOSTPAY_ENV' ? productionEnv : localEnv;
        const lines = await problems(base({ [name]: value }));
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0] ?? '', expected);
        if (SETTINGS.find((spec) => spec.env === name)?.secret) assert.ok(!lines[0]?.includes(value));
      });
    }

    it('reports several bad settings together, in table order, one line each', async () => {
      const lines = await problems(
        localEnv({
          MAX_ATTEMPTS: 'three',
          CONFIRMATIONS: '100',
          WALLET_PRIVATE_KEY: 'not-a-key',
          PAYMENT_CAPS: '{',
          TASKS_LOCATION: undefined,
        }),
      );
      assert.deepEqual(
        lines.map((line) => line.split(':')[0]),
        ['WALLET_PRIVATE_KEY', 'MAX_ATTEMPTS', 'CONFIRMATIONS', 'PAYMENT_CAPS', 'TASKS_LOCATION'],
      );
      assert.match(lines[4] ?? '', /^TASKS_LOCATION: required, not set$/);
    });

    it('reports every missing setting of an empty environment', async () => {
      const lines = await problems({});
      const required = SETTINGS.filter((spec) => spec.required).map((spec) => spec.env);
      // DATABASE_URL is optional on its own, but one of it and CLOUD_SQL_INSTANCE is required.
      required.unshift('DATABASE_URL');
      assert.deepEqual(
        lines.map((line) => line.split(':')[0]),
        required,
      );
      assert.ok(lines.includes('DATABASE_URL: set DATABASE_URL or CLOUD_SQL_INSTANCE, neither is set'));
    });

    it('rejects a priority fee above the fee cap', async () => {
      const lines = await problems(
        localEnv({ MAX_FEE_PER_GAS_GWEI: '1', MAX_PRIORITY_FEE_PER_GAS_GWEI: '1.5' }),
      );
      assert.deepEqual(lines, ['MAX_PRIORITY_FEE_PER_GAS_GWEI: must not exceed MAX_FEE_PER_GAS_GWEI']);
    });

    it('rejects a lease no longer than the receipt wait', async () => {
      const lines = await problems(localEnv({ LEASE_SECONDS: '60', RECEIPT_WAIT_SECONDS: '60' }));
      assert.match(lines[0] ?? '', /^LEASE_SECONDS: must be longer than RECEIPT_WAIT_SECONDS \(60\)/);
    });

    it('rejects a lease that three RPC timeouts could outlast between two renewals', async () => {
      const lines = await problems(
        localEnv({ LEASE_SECONDS: '29', RECEIPT_WAIT_SECONDS: '5', RPC_TIMEOUT_SECONDS: '10' }),
      );
      assert.deepEqual(lines, [
        'LEASE_SECONDS: must be at least 3 x RPC_TIMEOUT_SECONDS (30): a lease outlives three RPC requests between renewals, got 29',
      ]);
      const config = await loadConfig(
        localEnv({ LEASE_SECONDS: '30', RECEIPT_WAIT_SECONDS: '5', RPC_TIMEOUT_SECONDS: '10' }),
      );
      assert.equal(config.leaseSeconds, 30, 'exactly three timeouts is enough');
    });

    it('rejects timings whose longest attempt does not fit the longest dispatch deadline', async () => {
      // 1000 + 20 x 40 = 1800 s of attempt, plus the 30 s margin, is past Cloud Tasks' 1800 s.
      const lines = await problems(
        localEnv({ LEASE_SECONDS: '1200', RECEIPT_WAIT_SECONDS: '1000', RPC_TIMEOUT_SECONDS: '40' }),
      );
      assert.deepEqual(lines, [
        'RECEIPT_WAIT_SECONDS: with RPC_TIMEOUT_SECONDS 40 an attempt can take 1800 s, which does not fit the 1800 s dispatch deadline less 30 s',
      ]);
    });
  });

  describe('production', () => {
    it('requires TASKS_INVOKER_SERVICE_ACCOUNT', async () => {
      const lines = await problems(productionEnv({ TASKS_INVOKER_SERVICE_ACCOUNT: undefined }));
      assert.deepEqual(lines, [
        'TASKS_INVOKER_SERVICE_ACCOUNT: required when HOSTPAY_ENV=production, not set',
      ]);
    });

    it('does not require it locally', async () => {
      const config = await loadConfig(localEnv());
      assert.equal(config.tasksInvokerServiceAccount, undefined);
    });

    it('refuses the Tasks emulator', async () => {
      const lines = await problems(productionEnv({ TASKS_EMULATOR_HOST: '127.0.0.1:8123' }));
      assert.deepEqual(lines, ['TASKS_EMULATOR_HOST: only allowed when HOSTPAY_ENV=local']);
    });

    it('refuses plain-http task targets and webhook, which would carry a token or secret in clear', async () => {
      const lines = await problems(
        productionEnv({
          RETRY_PAYMENT_URL: 'http://retry.example.com/',
          UPSTREAM_COMPLETED_URLS: '{"batch":"http://up.example.com/"}',
          SLACK_WEBHOOK_URL: SLACK_URL.replace('https:', 'http:'),
        }),
      );
      assert.deepEqual(lines, [
        'RETRY_PAYMENT_URL: expected an https URL in production',
        'UPSTREAM_COMPLETED_URLS: batch: expected an https URL in production',
        'SLACK_WEBHOOK_URL: expected an https URL in production',
      ]);
    });

    it('treats an unreadable HOSTPAY_ENV as production for the other checks', async () => {
      const lines = await problems(localEnv({ HOSTPAY_ENV: 'dev' }));
      assert.ok(
        lines.includes('TASKS_INVOKER_SERVICE_ACCOUNT: required when HOSTPAY_ENV=production, not set'),
      );
    });
  });

  describe('database connection', () => {
    const INSTANCE = 'hostpay-prod:us-central1:hostpay';
    const IAM_USER = 'hostpay-execute@hostpay-prod.iam';
    const connectorEnv = (overrides: Env = {}) =>
      productionEnv({
        DATABASE_URL: undefined,
        CLOUD_SQL_INSTANCE: INSTANCE,
        DATABASE_USER: IAM_USER,
        ...overrides,
      });

    it('connector mode: the instance, its IAM user, no URL, the defaults', async () => {
      const config = await loadConfig(connectorEnv(), { functionName: 'executePayment' });
      assert.equal(config.databaseUrl, undefined);
      assert.equal(config.cloudSqlInstance, INSTANCE);
      assert.equal(config.databaseUser, IAM_USER);
      assert.equal(config.cloudSqlIpType, 'PRIVATE');
      assert.equal(config.databaseName, 'hostpay');
      assert.equal(config.databasePoolMax, 5);
    });

    it('connector mode takes the IP type, database name, pool size and a domain-scoped project', async () => {
      const config = await loadConfig(
        connectorEnv({
          CLOUD_SQL_INSTANCE: 'example.com:pay-prod:europe-west1:ledger-1',
          CLOUD_SQL_IP_TYPE: 'PSC',
          DATABASE_NAME: 'hostpay_eu',
          DATABASE_POOL_MAX: '3',
        }),
      );
      assert.equal(config.cloudSqlInstance, 'example.com:pay-prod:europe-west1:ledger-1');
      assert.equal(config.cloudSqlIpType, 'PSC');
      assert.equal(config.databaseName, 'hostpay_eu');
      assert.equal(config.databasePoolMax, 3);
    });

    it('refuses both a URL and an instance', async () => {
      const lines = await problems(connectorEnv({ DATABASE_URL: `${DATABASE_URL}?sslmode=verify-full` }));
      assert.deepEqual(lines, [
        'CLOUD_SQL_INSTANCE: set exactly one of DATABASE_URL and CLOUD_SQL_INSTANCE, not both',
      ]);
    });

    it('refuses neither, for any function', async () => {
      for (const functionName of FUNCTION_NAMES) {
        const lines = await problems(localEnv({ DATABASE_URL: undefined }), functionName);
        assert.deepEqual(
          lines,
          ['DATABASE_URL: set DATABASE_URL or CLOUD_SQL_INSTANCE, neither is set'],
          functionName,
        );
      }
    });

    it('requires DATABASE_USER with CLOUD_SQL_INSTANCE', async () => {
      const lines = await problems(connectorEnv({ DATABASE_USER: undefined }));
      assert.deepEqual(lines, ['DATABASE_USER: required with CLOUD_SQL_INSTANCE, not set']);
    });

    it('does not report a neither when the URL was given but Secret Manager could not read it', async () => {
      const { client } = fakeSecretManager({});
      const lines = await problems(
        productionEnv({ DATABASE_URL: 'projects/p/secrets/database-url/versions/1' }),
        undefined,
        client,
      );
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0] ?? '', /^DATABASE_URL: could not read the Secret Manager version/);
    });

    const remote = `postgres://hostpay:${DB_PASSWORD}@10.20.0.3:5432/hostpay`;
    for (const [what, url] of [
      ['no sslmode', remote],
      ['sslmode=require (encrypted, any certificate)', `${remote}?sslmode=require`],
      ['sslmode=verify-ca (no host name check)', `${remote}?sslmode=verify-ca&sslrootcert=/etc/ca.pem`],
      ['sslmode=prefer', `${remote}?sslmode=prefer`],
      ['sslmode=disable', `${remote}?sslmode=disable`],
    ] as const) {
      it(`refuses a production URL with ${what}, without showing it`, async () => {
        const lines = await problems(productionEnv({ DATABASE_URL: url }));
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(
          lines[0] ?? '',
          /^DATABASE_URL: in production the URL must say sslmode=verify-full \(with sslrootcert= the server CA file, or the system CAs\), so the server's certificate and host name are verified; got (no sslmode|sslmode=[a-z-]+)$/,
        );
        assert.ok(!lines[0]?.includes(DB_PASSWORD));
        assert.ok(!lines[0]?.includes('10.20.0.3'));
      });
      it(`accepts the same URL locally (${what})`, async () => {
        const config = await loadConfig(localEnv({ DATABASE_URL: url }));
        assert.equal(config.databaseUrl, url);
      });
    }

    for (const [what, url] of [
      ['verify-full with a CA file', `${remote}?sslmode=verify-full&sslrootcert=/etc/hostpay/server-ca.pem`],
      [
        'verify-full with the system CAs',
        `${remote.replace('10.20.0.3', 'db.example.com')}?sslmode=verify-full`,
      ],
      ['a Unix socket (the Cloud SQL socket)', 'postgresql:///hostpay?host=/cloudsql/p:us-central1:db'],
      [
        'a loopback address (an Auth Proxy sidecar)',
        `postgres://hostpay:${DB_PASSWORD}@127.0.0.1:5432/hostpay`,
      ],
      ['localhost', `postgres://hostpay:${DB_PASSWORD}@localhost:5432/hostpay?sslmode=disable`],
    ] as const) {
      it(`accepts a production URL with ${what}`, async () => {
        const config = await loadConfig(productionEnv({ DATABASE_URL: url }));
        assert.equal(config.databaseUrl, url);
      });
    }

    it('a host named like a socket or loopback is still checked', async () => {
      const lines = await problems(
        productionEnv({
          DATABASE_URL: `postgres://u:${DB_PASSWORD}@127.0.0.1.example.com/hostpay?host=/tmp`,
        }),
      );
      assert.match(lines[0] ?? '', /^DATABASE_URL: in production the URL must say sslmode=verify-full/);
    });
  });

  describe('per function', () => {
    const envFor = (fn: FunctionName): Env => {
      const full = productionEnv();
      const env: Env = {};
      for (const spec of SETTINGS) if (spec.functions.includes(fn)) env[spec.env] = full[spec.env];
      return env;
    };

    for (const fn of FUNCTION_NAMES) {
      const required = SETTINGS.filter((spec) => spec.required && spec.functions.includes(fn));

      it(`${fn} starts with only the settings it reads`, async () => {
        const config = await loadConfig(envFor(fn), { functionName: fn });
        assert.equal(config.functionName, fn);
      });

      for (const spec of required) {
        it(`${fn} without ${spec.env} is refused, naming it`, async () => {
          const env = envFor(fn);
          delete env[spec.env];
          const lines = await problems(env, fn);
          assert.equal(lines.length, 1);
          assert.match(lines[0] ?? '', new RegExp(`^${spec.env}: required`));
        });
      }
    }

    it('recordFailure needs no RPC_URL, CHAIN_ID or WALLET_PRIVATE_KEY', async () => {
      const config = await loadConfig(
        productionEnv({ RPC_URL: undefined, CHAIN_ID: undefined, WALLET_PRIVATE_KEY: undefined }),
        { functionName: 'recordFailure' },
      );
      assert.equal(config.rpcUrl, undefined);
      assert.equal(config.walletPrivateKey, undefined);
    });

    it('does not resolve or keep a secret the function does not read', async () => {
      const reference = 'projects/p/secrets/wallet/versions/1';
      const { client, calls } = fakeSecretManager({ [reference]: WALLET_KEY });
      const config = await loadConfig(productionEnv({ WALLET_PRIVATE_KEY: reference }), {
        functionName: 'recordFailure',
        secrets: client,
      });
      assert.deepEqual(calls, []);
      assert.equal(config.walletPrivateKey, undefined);
      assert.ok(!config.secretValues.includes(WALLET_KEY));
    });

    it('still validates a non-secret setting the function does not read', async () => {
      const lines = await problems(productionEnv({ RECOVERY_BATCH_SIZE: '0' }), 'executePayment');
      assert.match(lines[0] ?? '', /^RECOVERY_BATCH_SIZE: /);
    });

    it('gives each function every setting it requires, so its ConfigFor<F> type holds', async () => {
      for (const name of FUNCTION_NAMES) {
        const config = await loadConfig(productionEnv(), { functionName: name });
        const required = SETTINGS.filter(
          (s) => s.required && !s.productionOnly && s.functions.includes(name),
        );
        assert.ok(required.length > 3, name);
        for (const spec of required)
          assert.notEqual(config[SETTING_FIELDS[spec.env as SettingName]], undefined, `${name}: ${spec.env}`);
      }
    });
  });

  describe('Secret Manager references', () => {
    const refs = {
      db: 'projects/hostpay-prod/secrets/database-url/versions/3',
      key: 'projects/hostpay-prod/secrets/wallet-key/versions/latest',
      signing: 'projects/hostpay-prod/secrets/signing-key/versions/1',
    };

    it('resolves each reference through the client and keeps plain values as they are', async () => {
      const { client, calls } = fakeSecretManager({
        [refs.db]: `${DATABASE_URL}\n`,
        [refs.key]: new TextEncoder().encode(WALLET_KEY),
      });
      const config = await loadConfig(
        productionEnv({ DATABASE_URL: refs.db, WALLET_PRIVATE_KEY: refs.key }),
        {
          secrets: client,
        },
      );
      assert.deepEqual(calls.sort(), [refs.db, refs.key].sort());
      assert.equal(config.databaseUrl, DATABASE_URL);
      assert.equal(config.walletPrivateKey, WALLET_KEY);
      assert.equal(config.tokenSigningKey, SIGNING_KEY);
    });

    it('validates a resolved value like a literal one, without showing it', async () => {
      const { client } = fakeSecretManager({ [refs.key]: 'not-a-private-key-but-secret-anyway' });
      const lines = await problems(productionEnv({ WALLET_PRIVATE_KEY: refs.key }), 'executePayment', client);
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /^WALLET_PRIVATE_KEY: expected a secp256k1 private key/);
      assert.ok(!lines[0]?.includes('secret-anyway'));
    });

    it('names each setting whose reference fails, with the status only', async () => {
      const { client } = fakeSecretManager({});
      const lines = await problems(
        productionEnv({ DATABASE_URL: refs.db, TOKEN_SIGNING_KEY: refs.signing }),
        undefined,
        client,
      );
      assert.deepEqual(lines, [
        'DATABASE_URL: could not read the Secret Manager version it names (PERMISSION_DENIED)',
        'TOKEN_SIGNING_KEY: could not read the Secret Manager version it names (PERMISSION_DENIED)',
      ]);
    });

    it('reports an empty or non-UTF-8 payload', async () => {
      const { client } = fakeSecretManager({
        [refs.db]: '\n',
        [refs.signing]: new Uint8Array([0xff, 0xfe, 0x00]),
      });
      const lines = await problems(
        productionEnv({ DATABASE_URL: refs.db, TOKEN_SIGNING_KEY: refs.signing }),
        undefined,
        client,
      );
      assert.deepEqual(lines, [
        'DATABASE_URL: the Secret Manager version it names is empty',
        'TOKEN_SIGNING_KEY: the Secret Manager version it names has no UTF-8 payload',
      ]);
    });
  });

  describe('secretValues', () => {
    it('holds each secret and the parts that could leak alone, and no plain setting', async () => {
      const config = await loadConfig(productionEnv({ SLACK_WEBHOOK_URL: SLACK_URL }));
      for (const value of [
        DATABASE_URL,
        DB_PASSWORD,
        RPC_URL,
        RPC_KEY,
        WALLET_KEY,
        WALLET_KEY.slice(2),
        SIGNING_KEY,
        SLACK_URL,
        'abcdefghijklmnopqrstuvwx',
      ]) {
        assert.ok(config.secretValues.includes(value), value);
      }
      assert.ok(!config.secretValues.includes('hostpay-local'));
      assert.ok(!config.secretValues.some((value) => value.includes('tasks-invoker')));
    });
  });
});
