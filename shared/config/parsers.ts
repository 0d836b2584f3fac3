/** A valibot schema per setting: the raw environment string in, the typed value out (docs/architecture.md, "Configuration"). */
import { getAddress, isAddress, ZeroAddress } from 'ethers';
import * as v from 'valibot';
import { CONTEXTS } from '../token/index.js';
import type { SettingName } from './settings.js';

const DIGITS = /^[0-9]+$/;

function integer(min: number, max: number) {
  const message = `expected an integer from ${min} to ${max}`;
  return v.pipe(
    v.string(),
    v.regex(DIGITS, message),
    v.maxLength(16, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/;

/** `text` as an exact multiple of 10^-decimals in base units, or undefined when it has more digits. */
export function parseDecimalUnits(text: string, decimals: number): bigint | undefined {
  const match = DECIMAL.exec(text);
  if (!match || text.length > 80) return undefined;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return undefined;
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** A decimal amount of `unit` turned into base units with `decimals`, exactly, within [min, max]. */
function decimalUnits(decimals: number, unit: string, min: string, max: string) {
  const low = parseDecimalUnits(min, decimals) ?? 0n;
  const high = parseDecimalUnits(max, decimals) ?? 0n;
  const message = `expected a decimal number of ${unit} from ${min} to ${max} with at most ${decimals} decimals`;
  return v.pipe(
    v.string(),
    v.check((text) => parseDecimalUnits(text, decimals) !== undefined, message),
    v.transform((text) => parseDecimalUnits(text, decimals) ?? -1n),
    v.check((units) => units >= low && units <= high, message),
  );
}

function isUrl(text: string, protocols: readonly string[], allowSocket = false): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    if (!protocols.includes(url.protocol)) return false;
    // postgres.js reaches a Unix socket (Cloud SQL's /cloudsql/...) through `?host=` with no hostname.
    return url.hostname !== '' || (allowSocket && url.searchParams.has('host'));
  } catch {
    return false;
  }
}

function url(protocols: readonly string[], message: string, allowSocket = false) {
  return v.pipe(
    v.string(),
    v.check((text) => isUrl(text, protocols, allowSocket), message),
  );
}

const HTTP = ['http:', 'https:'];
const httpUrl = () => url(HTTP, 'expected an http(s) URL');

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
// secp256k1 group order: a private key must be in [1, n - 1].
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function isPrivateKey(text: string): boolean {
  if (!PRIVATE_KEY.test(text)) return false;
  const scalar = BigInt(text.startsWith('0x') ? text : `0x${text}`);
  return scalar > 0n && scalar < CURVE_ORDER;
}

const signingKey = () =>
  v.pipe(
    v.string(),
    v.minBytes(16, 'expected at least 16 bytes'),
    v.maxBytes(1024, 'expected at most 1024 bytes'),
  );

const SYMBOL = /^[a-z0-9]{1,16}$/;
const symbolKey = v.pipe(v.string(), v.regex(SYMBOL, 'expected a lower-case symbol such as "usdt"'));

function jsonObject<T extends v.GenericSchema<unknown, unknown>>(record: T) {
  const message = 'expected a JSON object';
  return v.pipe(
    v.string(),
    v.parseJson(undefined, message),
    v.check((value) => typeof value === 'object' && value !== null && !Array.isArray(value), message),
    record,
  );
}

const POSITIVE_DECIMAL = /^[0-9]{1,39}(\.[0-9]{1,36})?$/;

const paymentCaps = jsonObject(
  v.record(
    symbolKey,
    v.pipe(
      v.string('expected a decimal string such as "1000.5"'),
      v.regex(POSITIVE_DECIMAL, 'expected a decimal string such as "1000.5"'),
      v.check((text) => /[1-9]/.test(text), 'expected a cap above zero'),
    ),
  ),
);

const MAX_TOKEN_DECIMALS = 36;

const assets = jsonObject(
  v.record(
    v.pipe(
      symbolKey,
      v.check((symbol) => symbol !== 'eth', '"eth" is the native asset and cannot be a token'),
    ),
    v.strictObject(
      {
        address: v.pipe(
          v.string('expected a contract address'),
          v.check(
            (text) => isAddress(text) && text.toLowerCase() !== ZeroAddress,
            'expected a contract address (0x + 40 hex, valid checksum, not zero)',
          ),
          v.transform((text) => getAddress(text)),
        ),
        decimals: v.pipe(
          v.number(`expected an integer from 0 to ${MAX_TOKEN_DECIMALS}`),
          v.integer(`expected an integer from 0 to ${MAX_TOKEN_DECIMALS}`),
          v.minValue(0, `expected an integer from 0 to ${MAX_TOKEN_DECIMALS}`),
          v.maxValue(MAX_TOKEN_DECIMALS, `expected an integer from 0 to ${MAX_TOKEN_DECIMALS}`),
        ),
      },
      'expected {"address": "0x...", "decimals": n} and nothing else',
    ),
  ),
);

/** Contexts the upstream sends (vectors/README.md); a per-context URL for another is a typo. */

const completedUrls = jsonObject(
  v.record(v.picklist(CONTEXTS, `expected a context: ${CONTEXTS.join(', ')}`), httpUrl()),
);

const queue = () =>
  v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,100}$/, 'expected a queue id (letters, digits, hyphens)'));

const EMULATOR_HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

const emulatorHost = v.pipe(
  v.string(),
  v.check((text) => {
    const port = Number(EMULATOR_HOST.exec(text)?.[2] ?? 0);
    return port >= 1 && port <= 65535;
  }, 'expected host:port'),
);

const DAY = 86_400;

/** Parsers by setting; secret ones never mention the input in their messages. */
export const PARSERS = {
  HOSTPAY_ENV: v.pipe(
    v.string(),
    v.check((text) => text === 'production' || text === 'local', 'expected "production" or "local"'),
    v.transform((text) => text as 'production' | 'local'),
  ),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'expected a postgres:// URL', true),
  // project:region:instance, the project possibly domain-scoped (example.com:project).
  CLOUD_SQL_INSTANCE: v.pipe(
    v.string(),
    v.regex(
      /^([a-z0-9.-]+:)?[a-z][a-z0-9-]{0,29}:[a-z]+-[a-z]+[0-9]:[a-z][a-z0-9-]{0,97}$/,
      'expected an instance connection name project:region:instance',
    ),
  ),
  CLOUD_SQL_IP_TYPE: v.picklist(['PRIVATE', 'PUBLIC', 'PSC'], 'expected PRIVATE, PUBLIC or PSC'),
  // A PostgreSQL role name (at most 63 bytes); IAM users look like name@project.iam.
  DATABASE_USER: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_.@+-]{1,63}$/, 'expected a database user name (letters, digits, _ . @ + -)'),
  ),
  DATABASE_NAME: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/, 'expected a database name (letters, digits, _ and -)'),
  ),
  DATABASE_POOL_MAX: integer(1, 100),
  RPC_URL: url([...HTTP, 'ws:', 'wss:'], 'expected an http(s) or ws(s) URL'),
  CHAIN_ID: integer(1, Number.MAX_SAFE_INTEGER),
  WALLET_PRIVATE_KEY: v.pipe(
    v.string(),
    v.check(isPrivateKey, 'expected a secp256k1 private key: 64 hex digits, optionally after 0x'),
    v.transform((text) => (text.startsWith('0x') ? text : `0x${text}`).toLowerCase()),
  ),
  TOKEN_SIGNING_KEY: signingKey(),
  TOKEN_SIGNING_KEY_PREVIOUS: signingKey(),
  TOKEN_MAX_AGE_SECONDS: integer(1, DAY),
  TOKEN_MAX_FUTURE_SECONDS: integer(0, 300),
  MAX_ATTEMPTS: integer(1, 10),
  RETRY_DELAY_SECONDS: integer(0, DAY),
  RATE_LIMIT_RETRY_DELAY_SECONDS: integer(0, DAY),
  // A Cloud Tasks dispatch deadline is at most 30 minutes; an attempt must end inside it.
  RECEIPT_WAIT_SECONDS: integer(0, 1800),
  CONFIRMATIONS: integer(1, 64),
  CONFIRMATION_CHECK_DELAY_SECONDS: integer(1, 3600),
  PENDING_ALERT_SECONDS: integer(1, 7 * DAY),
  LEASE_SECONDS: integer(1, 3600),
  RPC_TIMEOUT_SECONDS: integer(1, 120),
  REORG_SAFE_DEPTH: integer(1, 1024),
  MAX_FEE_PER_GAS_GWEI: decimalUnits(9, 'gwei', '0.000000001', '100000'),
  MAX_PRIORITY_FEE_PER_GAS_GWEI: decimalUnits(9, 'gwei', '0', '100000'),
  GAS_LIMIT_MARGIN_PERCENT: integer(0, 100),
  FEE_BUMP_PERCENT: integer(10, 100),
  PAYMENT_CAPS: paymentCaps,
  ASSETS: assets,
  LOW_BALANCE_THRESHOLD_ETH: decimalUnits(18, 'ETH', '0', '1000000'),
  TASKS_PROJECT: v.pipe(
    v.string(),
    v.regex(/^[a-z0-9][a-z0-9.:-]{0,99}$/, 'expected a Google Cloud project id'),
  ),
  TASKS_LOCATION: v.pipe(
    v.string(),
    v.regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a region such as us-central1'),
  ),
  PAYMENT_QUEUE: queue(),
  RETRY_QUEUE: queue(),
  FAILURE_QUEUE: queue(),
  NOTICE_QUEUE: queue(),
  TASKS_EMULATOR_HOST: emulatorHost,
  TASKS_INVOKER_SERVICE_ACCOUNT: v.pipe(v.string(), v.email('expected a service account email')),
  RETRY_PAYMENT_URL: httpUrl(),
  RECORD_FAILURE_URL: httpUrl(),
  UPSTREAM_COMPLETED_URL: httpUrl(),
  UPSTREAM_COMPLETED_URLS: completedUrls,
  UPSTREAM_FAILED_URL: httpUrl(),
  // http only for a local recorder: the production check below demands https.
  SLACK_WEBHOOK_URL: url(HTTP, 'expected an http(s) URL'),
  CONSOLE_URL: httpUrl(),
  MAX_BODY_BYTES: integer(1024, 1024 * 1024),
  RECOVERY_COOLDOWN_SECONDS: integer(0, 7 * DAY),
  RECOVERY_MAX_AUTOMATED_RETRIES: integer(0, 10),
  RECOVERY_BATCH_SIZE: integer(1, 500),
  STUCK_AFTER_SECONDS: integer(1, DAY),
  ADMIN_AUDIENCE: v.pipe(v.string(), v.minLength(1, 'expected an audience'), v.maxLength(2000)),
} as const satisfies Record<SettingName, v.GenericSchema<string, unknown>>;

/** The typed value of every setting. */
export type SettingValues = { [K in SettingName]: v.InferOutput<(typeof PARSERS)[K]> };
