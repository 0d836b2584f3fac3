/** The typed configuration every function starts from (docs/architecture.md, "The flow" and "Configuration"). */
import type { SettingValues } from './parsers.js';
import type { FunctionName, RequiredSettingOf, SettingName } from './settings.js';

/** A token contract from the `ASSETS` setting (checksummed address). */
export interface AssetSetting {
  readonly address: string;
  readonly decimals: number;
}

/**
 * Settings a function does not read are `undefined` unless they have a default; `ConfigFor<F>` is the
 * configuration of function `F`, with the settings it requires present.
 */
export interface Config {
  readonly env: 'production' | 'local';
  /** The function the configuration was loaded for; undefined when loaded for all of them. */
  readonly functionName: FunctionName | undefined;
  /** URL mode; exactly one of it and `cloudSqlInstance` is set. */
  readonly databaseUrl: string | undefined;
  /** Connector mode: `project:region:instance`, reached with IAM database authentication as `databaseUser`. */
  readonly cloudSqlInstance: string | undefined;
  readonly cloudSqlIpType: 'PRIVATE' | 'PUBLIC' | 'PSC';
  readonly databaseUser: string | undefined;
  readonly databaseName: string;
  readonly databasePoolMax: number;
  readonly rpcUrl: string | undefined;
  readonly chainId: number | undefined;
  /** `0x` + 64 lower-case hex digits. */
  readonly walletPrivateKey: string | undefined;
  readonly tokenSigningKey: string;
  readonly tokenSigningKeyPrevious: string | undefined;
  readonly tokenMaxAgeSeconds: number;
  readonly tokenMaxFutureSeconds: number;
  readonly maxAttempts: number;
  readonly retryDelaySeconds: number;
  readonly rateLimitRetryDelaySeconds: number;
  readonly receiptWaitSeconds: number;
  readonly confirmations: number;
  readonly confirmationCheckDelaySeconds: number;
  readonly pendingAlertSeconds: number;
  readonly leaseSeconds: number;
  readonly rpcTimeoutSeconds: number;
  readonly reorgSafeDepth: number;
  readonly maxFeePerGasWei: bigint;
  readonly maxPriorityFeePerGasWei: bigint;
  readonly gasLimitMarginPercent: number;
  readonly feeBumpPercent: number;
  /** Lower-case symbol → largest payout as a decimal string (converted by the money module). */
  readonly paymentCaps: Readonly<Record<string, string>> | undefined;
  readonly assets: Readonly<Record<string, AssetSetting>> | undefined;
  readonly lowBalanceThresholdWei: bigint;
  readonly tasksProject: string;
  readonly tasksLocation: string;
  readonly paymentQueue: string | undefined;
  readonly retryQueue: string | undefined;
  readonly failureQueue: string | undefined;
  readonly noticeQueue: string | undefined;
  readonly tasksEmulatorHost: string | undefined;
  readonly tasksInvokerServiceAccount: string | undefined;
  readonly retryPaymentUrl: string | undefined;
  readonly recordFailureUrl: string | undefined;
  readonly upstreamCompletedUrl: string | undefined;
  /** Context → /payment-completed URL overriding `upstreamCompletedUrl` for that context. */
  readonly upstreamCompletedUrls:
    | Readonly<Partial<Record<'instant' | 'threshold' | 'batch', string>>>
    | undefined;
  readonly upstreamFailedUrl: string | undefined;
  readonly slackWebhookUrl: string | undefined;
  readonly consoleUrl: string | undefined;
  readonly maxBodyBytes: number;
  readonly recoveryCooldownSeconds: number;
  readonly recoveryMaxAutomatedRetries: number;
  readonly recoveryBatchSize: number;
  readonly stuckAfterSeconds: number;
  readonly adminAudience: string | undefined;
  /** Every secret value loaded and the parts of it that could leak alone; give these to the logger. */
  readonly secretValues: readonly string[];
}

/** The configuration with the settings `K` present, by type. */
export type ConfigWith<K extends keyof Config> = Config & { readonly [P in K]-?: NonNullable<Config[P]> };

/**
 * The configuration `loadConfig` gives function `F` (a union: what all of them get): every setting it cannot
 * start without is present by type, so its code takes them without checks.
 */
export type ConfigFor<F extends FunctionName> = ConfigWith<(typeof SETTING_FIELDS)[RequiredSettingOf<F>]>;

/** The Config field each setting fills. */
export const SETTING_FIELDS = {
  HOSTPAY_ENV: 'env',
  DATABASE_URL: 'databaseUrl',
  CLOUD_SQL_INSTANCE: 'cloudSqlInstance',
  CLOUD_SQL_IP_TYPE: 'cloudSqlIpType',
  DATABASE_USER: 'databaseUser',
  DATABASE_NAME: 'databaseName',
  DATABASE_POOL_MAX: 'databasePoolMax',
  RPC_URL: 'rpcUrl',
  CHAIN_ID: 'chainId',
  WALLET_PRIVATE_KEY: 'walletPrivateKey',
  TOKEN_SIGNING_KEY: 'tokenSigningKey',
  TOKEN_SIGNING_KEY_PREVIOUS: 'tokenSigningKeyPrevious',
  TOKEN_MAX_AGE_SECONDS: 'tokenMaxAgeSeconds',
  TOKEN_MAX_FUTURE_SECONDS: 'tokenMaxFutureSeconds',
  MAX_ATTEMPTS: 'maxAttempts',
  RETRY_DELAY_SECONDS: 'retryDelaySeconds',
  RATE_LIMIT_RETRY_DELAY_SECONDS: 'rateLimitRetryDelaySeconds',
  RECEIPT_WAIT_SECONDS: 'receiptWaitSeconds',
  CONFIRMATIONS: 'confirmations',
  CONFIRMATION_CHECK_DELAY_SECONDS: 'confirmationCheckDelaySeconds',
  PENDING_ALERT_SECONDS: 'pendingAlertSeconds',
  LEASE_SECONDS: 'leaseSeconds',
  RPC_TIMEOUT_SECONDS: 'rpcTimeoutSeconds',
  REORG_SAFE_DEPTH: 'reorgSafeDepth',
  MAX_FEE_PER_GAS_GWEI: 'maxFeePerGasWei',
  MAX_PRIORITY_FEE_PER_GAS_GWEI: 'maxPriorityFeePerGasWei',
  GAS_LIMIT_MARGIN_PERCENT: 'gasLimitMarginPercent',
  FEE_BUMP_PERCENT: 'feeBumpPercent',
  PAYMENT_CAPS: 'paymentCaps',
  ASSETS: 'assets',
  LOW_BALANCE_THRESHOLD_ETH: 'lowBalanceThresholdWei',
  TASKS_PROJECT: 'tasksProject',
  TASKS_LOCATION: 'tasksLocation',
  PAYMENT_QUEUE: 'paymentQueue',
  RETRY_QUEUE: 'retryQueue',
  FAILURE_QUEUE: 'failureQueue',
  NOTICE_QUEUE: 'noticeQueue',
  TASKS_EMULATOR_HOST: 'tasksEmulatorHost',
  TASKS_INVOKER_SERVICE_ACCOUNT: 'tasksInvokerServiceAccount',
  RETRY_PAYMENT_URL: 'retryPaymentUrl',
  RECORD_FAILURE_URL: 'recordFailureUrl',
  UPSTREAM_COMPLETED_URL: 'upstreamCompletedUrl',
  UPSTREAM_COMPLETED_URLS: 'upstreamCompletedUrls',
  UPSTREAM_FAILED_URL: 'upstreamFailedUrl',
  SLACK_WEBHOOK_URL: 'slackWebhookUrl',
  CONSOLE_URL: 'consoleUrl',
  MAX_BODY_BYTES: 'maxBodyBytes',
  RECOVERY_COOLDOWN_SECONDS: 'recoveryCooldownSeconds',
  RECOVERY_MAX_AUTOMATED_RETRIES: 'recoveryMaxAutomatedRetries',
  RECOVERY_BATCH_SIZE: 'recoveryBatchSize',
  STUCK_AFTER_SECONDS: 'stuckAfterSeconds',
  ADMIN_AUDIENCE: 'adminAudience',
} as const satisfies Record<SettingName, keyof Config>;

// Compile-time proof that each parser's output fits the field it fills.
type FieldFits = {
  [K in SettingName]: SettingValues[K] extends Config[(typeof SETTING_FIELDS)[K]] ? true : false;
};
type AllFieldsFit = false extends FieldFits[SettingName] ? never : true;
true satisfies AllFieldsFit;

/**
 * How many RPC requests an attempt makes one after another outside its receipt wait, at most: the claim's
 * preflight, the look-ups of a resume, the fence-bounded sign and broadcast, over three rounds
 * (docs/architecture.md, "Time bounds").
 */
export const ATTEMPT_RPC_REQUESTS = 20;

/** The longest an attempt can run: its receipt wait plus its sequential RPC requests at their timeout. */
export function attemptBoundSeconds(config: {
  receiptWaitSeconds: number;
  rpcTimeoutSeconds: number;
}): number {
  return config.receiptWaitSeconds + ATTEMPT_RPC_REQUESTS * config.rpcTimeoutSeconds;
}

/** Margin between the longest attempt and the Cloud Tasks dispatch deadline of its task. */
export const DISPATCH_MARGIN_SECONDS = 30;

/** Cloud Tasks' longest dispatch deadline for an HTTP task. */
export const MAX_DISPATCH_DEADLINE_SECONDS = 1800;
