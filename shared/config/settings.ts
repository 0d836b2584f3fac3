/** Which setting each function reads, for the loader and the Terraform checks (docs/architecture.md, "Configuration" and "Platform facts"). */

/** The deployed functions (docs/architecture.md, "The flow"). */
export const FUNCTION_NAMES = [
  'executePayment',
  'retryPayment',
  'recordFailure',
  'adminApi',
  'recoverPayments',
] as const;

export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * One setting. `required`: the function cannot start without it (it has no default);
 * `functions`: every function that reads it, so a deployment gives each exactly these;
 * `secret`: its value may be a Secret Manager reference and is never printed.
 */
export interface SettingSpec {
  readonly env: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly default?: string;
  readonly functions: readonly FunctionName[];
  readonly description: string;
  /** Required only when `HOSTPAY_ENV=production` (local runs may leave it unset). */
  readonly productionOnly?: boolean;
}

const ALL = FUNCTION_NAMES;
// Functions that sign and send transactions: attempts, confirmation checks, operator cancels.
const CHAIN = ['executePayment', 'retryPayment', 'adminApi'] as const;
const ATTEMPT = ['executePayment', 'retryPayment'] as const;
// Functions that read tokens signed by others (and so may see one signed with the previous key).
const VERIFY = ['executePayment', 'retryPayment', 'recordFailure'] as const;
// Functions that tell the upstream a payout is paid: attempts, and adminApi when a cancel loses the race.
const COMPLETED = [...ATTEMPT, 'adminApi'] as const;
// Functions that hand failures to recordFailure: attempts, adminApi (its cancel runs the payout engine,
// which may end the payout failed), and the sweep of failures never recorded.
const FAILURES = [...ATTEMPT, 'adminApi', 'recoverPayments'] as const;
// Functions that put work on the retry queue.
const RETRY = ['executePayment', 'retryPayment', 'adminApi', 'recoverPayments'] as const;

interface SettingExtra {
  readonly secret?: boolean;
  readonly required?: boolean;
  readonly default?: string;
  readonly productionOnly?: boolean;
}

function setting<
  E extends string,
  const F extends readonly FunctionName[],
  const X extends SettingExtra = Record<never, never>,
>(
  env: E,
  functions: F,
  description: string,
  extra: X = {} as X,
): SettingSpec & { readonly env: E; readonly functions: F } & X {
  const required = extra.required ?? extra.default === undefined;
  return { env, secret: extra.secret ?? false, required, functions, description, ...extra };
}

const optional = { required: false } as const;
const secret = { secret: true } as const;

const TABLE = [
  setting('HOSTPAY_ENV', ALL, '`production` or `local`; local allows the Tasks emulator.', {
    default: 'production',
  }),
  setting(
    'DATABASE_URL',
    ALL,
    'URL mode: a postgres:// URL; in production with sslmode=verify-full (and sslrootcert= the server CA, or the system CAs). Exactly one of DATABASE_URL and CLOUD_SQL_INSTANCE.',
    { ...secret, ...optional },
  ),
  setting(
    'CLOUD_SQL_INSTANCE',
    ALL,
    'Cloud SQL instance connection name project:region:instance; connects through the Cloud SQL connector with IAM database authentication (no password).',
    optional,
  ),
  setting('CLOUD_SQL_IP_TYPE', ALL, 'Address of the instance the connector dials: PRIVATE, PUBLIC or PSC.', {
    default: 'PRIVATE',
  }),
  setting(
    'DATABASE_USER',
    ALL,
    "IAM database user: the function's service account email without .gserviceaccount.com; required with CLOUD_SQL_INSTANCE.",
    optional,
  ),
  setting('DATABASE_NAME', ALL, 'Database name in connector mode.', { default: 'hostpay' }),
  setting('DATABASE_POOL_MAX', ALL, 'Database connections per function instance.', { default: '5' }),
  setting(
    'RPC_URL',
    CHAIN,
    'Ethereum JSON-RPC endpoint (http, https, ws or wss), often with an API key.',
    secret,
  ),
  setting('CHAIN_ID', CHAIN, 'Chain id the wallet pays on; the node must report the same.'),
  setting('WALLET_PRIVATE_KEY', CHAIN, 'Hot wallet private key, 32 bytes hex.', secret),
  setting('TOKEN_SIGNING_KEY', ALL, 'HMAC key shared with upstream for signed tokens (16+ bytes).', secret),
  setting('TOKEN_SIGNING_KEY_PREVIOUS', VERIFY, 'Previous signing key, accepted during rotation.', {
    ...secret,
    ...optional,
  }),
  setting('TOKEN_MAX_AGE_SECONDS', VERIFY, 'Oldest token timestamp accepted.', { default: '7200' }),
  setting('TOKEN_MAX_FUTURE_SECONDS', VERIFY, 'Clock skew allowed for token timestamps.', { default: '5' }),
  setting('MAX_ATTEMPTS', ALL, 'Attempts per payout before it is recorded as failed.', { default: '3' }),
  setting('RETRY_DELAY_SECONDS', ATTEMPT, 'Delay before the next attempt after a transient error.', {
    default: '60',
  }),
  setting('RATE_LIMIT_RETRY_DELAY_SECONDS', ATTEMPT, 'Delay after RATE_LIMIT_EXCEEDED.', { default: '300' }),
  setting('RECEIPT_WAIT_SECONDS', CHAIN, 'How long an attempt waits for its receipt.', { default: '60' }),
  setting('CONFIRMATIONS', CHAIN, 'Block depth at which a payout is confirmed.', { default: '1' }),
  setting('CONFIRMATION_CHECK_DELAY_SECONDS', CHAIN, 'Delay of a check task for a broadcast payout.', {
    default: '30',
  }),
  setting('PENDING_ALERT_SECONDS', ATTEMPT, 'A payout pending longer than this raises an alert.', {
    default: '3600',
  }),
  setting(
    'LEASE_SECONDS',
    CHAIN,
    'Lease a delivery holds on a payout, renewed at each fence and while waiting; at least 3 RPC timeouts.',
    { default: '180' },
  ),
  setting('RPC_TIMEOUT_SECONDS', CHAIN, 'Bound on one JSON-RPC request to the node.', { default: '10' }),
  setting(
    'REORG_SAFE_DEPTH',
    CHAIN,
    "Depth at which a cancel or another transaction at a payout's nonce counts as final (64: finalized on Ethereum).",
    { default: '64' },
  ),
  setting('MAX_FEE_PER_GAS_GWEI', CHAIN, 'Fee cap per gas in gwei (decimal); above it: GAS_PRICE_SPIKE.', {
    default: '300',
  }),
  setting('MAX_PRIORITY_FEE_PER_GAS_GWEI', CHAIN, 'Priority fee per gas in gwei (decimal).', {
    default: '2',
  }),
  setting('GAS_LIMIT_MARGIN_PERCENT', CHAIN, 'Margin added to estimated gas for token transfers.', {
    default: '20',
  }),
  setting('FEE_BUMP_PERCENT', CHAIN, 'Fee increase of a replacement; nodes require at least 10.', {
    default: '15',
  }),
  setting('PAYMENT_CAPS', ATTEMPT, 'JSON {symbol: decimal string}: largest payout per currency.'),
  setting('ASSETS', CHAIN, 'JSON {symbol: {address, decimals}}: token contracts beyond the built-in table.', {
    ...optional,
  }),
  setting(
    'LOW_BALANCE_THRESHOLD_ETH',
    [...ATTEMPT, 'adminApi'],
    'Wallet ETH balance below which wallet_balance_low is logged.',
    {
      default: '0.5',
    },
  ),
  setting('TASKS_PROJECT', ALL, 'Google Cloud project of the Cloud Tasks queues.'),
  setting('TASKS_LOCATION', ALL, 'Region of the Cloud Tasks queues.'),
  setting('PAYMENT_QUEUE', ['executePayment'], 'Queue upstream puts payment requests on (named, not used).', {
    ...optional,
  }),
  setting('RETRY_QUEUE', RETRY, 'Queue of retry attempts and confirmation checks.'),
  setting('FAILURE_QUEUE', FAILURES, 'Queue of final failures for recordFailure.'),
  setting('NOTICE_QUEUE', [...COMPLETED, 'recordFailure'], 'Queue of notices to upstream.'),
  setting(
    'TASKS_EMULATOR_HOST',
    ALL,
    'host:port of a local Cloud Tasks endpoint; only when local.',
    optional,
  ),
  setting('TASKS_INVOKER_SERVICE_ACCOUNT', ALL, 'Service account whose OIDC token tasks carry.', {
    productionOnly: true,
  }),
  setting('RETRY_PAYMENT_URL', RETRY, 'URL of the retryPayment function.'),
  setting('RECORD_FAILURE_URL', FAILURES, 'URL of the recordFailure function.'),
  setting('UPSTREAM_COMPLETED_URL', COMPLETED, 'Upstream /payment-completed URL.'),
  setting('UPSTREAM_COMPLETED_URLS', COMPLETED, 'JSON {context: url}: per-context /payment-completed URLs.', {
    ...optional,
  }),
  setting('UPSTREAM_FAILED_URL', ['recordFailure'], 'Upstream /payment-failed URL; no notice when unset.', {
    ...optional,
  }),
  setting('SLACK_WEBHOOK_URL', ['recordFailure'], 'Slack incoming webhook for failure alerts.', {
    ...secret,
    ...optional,
  }),
  setting(
    'CONSOLE_URL',
    ['recordFailure'],
    "adminApi's URL, where the operators' console is; Slack alerts link each payout there.",
    optional,
  ),
  setting('MAX_BODY_BYTES', ALL, 'Largest request body accepted.', { default: '16384' }),
  setting('RECOVERY_COOLDOWN_SECONDS', ['recoverPayments'], 'Least time between automated retries.', {
    default: '900',
  }),
  setting('RECOVERY_MAX_AUTOMATED_RETRIES', ['recoverPayments'], 'Automated retries per failed payout.', {
    default: '3',
  }),
  setting('RECOVERY_BATCH_SIZE', ['recoverPayments'], 'Failed payouts handled per scheduler run.', {
    default: '50',
  }),
  setting(
    'ADMIN_AUDIENCE',
    ['adminApi'],
    "Audience operators' ID tokens must name; unset: adminApi's own https origin.",
    optional,
  ),
  setting(
    'STUCK_AFTER_SECONDS',
    ['recoverPayments', 'adminApi'],
    'A non-terminal payout idle this long is stuck.',
    {
      default: '600',
    },
  ),
] as const satisfies readonly SettingSpec[];

/** Every setting hostpay reads, in documentation order (docs/architecture.md, "Configuration"). */
export const SETTINGS: readonly SettingSpec[] = TABLE;

/** The environment variable name of each setting. */
export type SettingName = (typeof TABLE)[number]['env'];

/** A setting `F` cannot start without anywhere: no default, not optional, not needed only in production. */
type Always<S> = S extends { default: string }
  ? never
  : S extends { required: false }
    ? never
    : S extends { productionOnly: true }
      ? never
      : S;

/** The settings every function of `F` must be given (for a union: those all of them need). */
export type RequiredSettingOf<F extends FunctionName> =
  Always<(typeof TABLE)[number]> extends infer S
    ? S extends { env: infer E; functions: readonly (infer G)[] }
      ? [F] extends [G]
        ? E
        : never
      : never
    : never;
