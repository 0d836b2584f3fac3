/** The environment each function of the local stack runs with: the canonical settings (docs/architecture.md, "Configuration" and "Running it locally"). */
import type { AssetOverride } from '../../shared/assets.js';
import { SETTINGS, type SettingName } from '../../shared/config/settings.js';

export const LOCAL_PROJECT = 'hostpay-local';
export const LOCAL_LOCATION = 'us-central1';

/** Queue ids, named after the settings that carry them. */
export const LOCAL_QUEUES = {
  payment: 'payment',
  retry: 'retry',
  failure: 'failure',
  notices: 'notices',
} as const;

export interface LocalSettingsInput {
  databaseUrl: string;
  rpcUrl: string;
  chainId: number;
  walletPrivateKey: string;
  signingKey: string;
  tasksEndpoint: string;
  retryPaymentUrl: string;
  recordFailureUrl: string;
  /** adminApi's URL: Slack alerts link the console there. */
  consoleUrl: string;
  /** Base URL of the local upstream recorder. */
  upstreamUrl: string;
  assets: AssetOverride;
}

/**
 * Shorter waits than production so a demo moves along (a retry in 10 s, not 60); everything else keeps
 * its production default. `startStack({ settings })` overrides any of them.
 */
export const LOCAL_TIMINGS: Partial<Record<SettingName, string>> = {
  RETRY_DELAY_SECONDS: '10',
  RATE_LIMIT_RETRY_DELAY_SECONDS: '30',
  RECEIPT_WAIT_SECONDS: '20',
  LEASE_SECONDS: '60',
  RPC_TIMEOUT_SECONDS: '10',
  // anvil mines only when a transaction arrives and is never reorganised: depth 1 settles a cancel at once.
  REORG_SAFE_DEPTH: '1',
  CONFIRMATION_CHECK_DELAY_SECONDS: '5',
  RECOVERY_COOLDOWN_SECONDS: '60',
  STUCK_AFTER_SECONDS: '120',
};

/** Every setting the stack gives every function; each function reads only its own (settings.ts). */
export function localSettings(
  input: LocalSettingsInput,
  overrides: Partial<Record<SettingName, string>> = {},
): Partial<Record<SettingName, string>> {
  return {
    HOSTPAY_ENV: 'local',
    DATABASE_URL: input.databaseUrl,
    RPC_URL: input.rpcUrl,
    CHAIN_ID: String(input.chainId),
    WALLET_PRIVATE_KEY: input.walletPrivateKey,
    TOKEN_SIGNING_KEY: input.signingKey,
    TASKS_PROJECT: LOCAL_PROJECT,
    TASKS_LOCATION: LOCAL_LOCATION,
    PAYMENT_QUEUE: LOCAL_QUEUES.payment,
    RETRY_QUEUE: LOCAL_QUEUES.retry,
    FAILURE_QUEUE: LOCAL_QUEUES.failure,
    NOTICE_QUEUE: LOCAL_QUEUES.notices,
    TASKS_EMULATOR_HOST: input.tasksEndpoint,
    RETRY_PAYMENT_URL: input.retryPaymentUrl,
    RECORD_FAILURE_URL: input.recordFailureUrl,
    CONSOLE_URL: input.consoleUrl,
    UPSTREAM_COMPLETED_URL: `${input.upstreamUrl}/payment-completed`,
    UPSTREAM_FAILED_URL: `${input.upstreamUrl}/payment-failed`,
    PAYMENT_CAPS: JSON.stringify({ eth: '10', usdt: '100000', usdc: '100000', dai: '100000' }),
    ASSETS: JSON.stringify(input.assets),
    ...LOCAL_TIMINGS,
    ...overrides,
  };
}

/**
 * The process environment of a function: the parent's, minus any hostpay setting it happens to carry
 * (a developer's shell must not leak a production value in), plus the stack's settings.
 */
export function functionEnvironment(
  parent: NodeJS.ProcessEnv,
  settings: Partial<Record<SettingName, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const spec of SETTINGS) delete env[spec.env];
  // A loader the parent runs under (tsx) would only slow each function's start: it serves built code.
  delete env.NODE_OPTIONS;
  return {
    ...env,
    ...settings,
    // As deployed (terraform/settings.tf): a body the framework cannot parse gets a bare 400.
    NODE_ENV: 'production',
    // Google clients would otherwise probe the metadata server (docs/architecture.md, "Platform facts").
    METADATA_SERVER_DETECTION: 'none',
  };
}
