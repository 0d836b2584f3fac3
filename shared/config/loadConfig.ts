/** Loads and validates every setting once at cold start (docs/architecture.md, "Configuration" docs/architecture.md, "Conventions"). */
import * as v from 'valibot';
import { databaseUrlProblem } from '../db/databaseUrl.js';
import { HostpayError } from '../errors.js';
import { createSecretManagerClient, resolveSecrets, type SecretResolver } from '../secrets.js';
import {
  attemptBoundSeconds,
  type Config,
  type ConfigFor,
  DISPATCH_MARGIN_SECONDS,
  MAX_DISPATCH_DEADLINE_SECONDS,
  SETTING_FIELDS,
} from './config.js';
import { PARSERS, type SettingValues } from './parsers.js';
import { secretForms } from './secretForms.js';
import { type FunctionName, SETTINGS, type SettingName, type SettingSpec } from './settings.js';

export interface LoadConfigOptions {
  /** Reads Secret Manager references; the real client is created when this is absent and one is needed. */
  readonly secrets?: SecretResolver;
  /** Require only what this function reads (SETTINGS); all settings are required when absent. */
  readonly functionName?: FunctionName;
  /** Load only these settings (the others stay undefined), for a tool such as `hostpay migrate`. */
  readonly only?: readonly SettingName[];
}

interface Problem {
  readonly setting: SettingName;
  readonly text: string;
}

const SPECS = SETTINGS as readonly (SettingSpec & { env: SettingName })[];

function quote(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw);
}

function reads(spec: SettingSpec, functionName: FunctionName | undefined): boolean {
  return functionName === undefined || spec.functions.includes(functionName);
}

type Parsed<K extends SettingName> = { ok: true; value: SettingValues[K] } | { ok: false; text: string };

function parseSetting<K extends SettingName>(spec: SettingSpec & { env: K }, raw: string): Parsed<K> {
  const result = v.safeParse(PARSERS[spec.env] as unknown as v.GenericSchema<string, SettingValues[K]>, raw);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  // Secret values are never quoted, not even in part; others are, to make a typo obvious.
  const got = spec.secret ? ' (value not shown)' : `, got ${path ? JSON.stringify(issue.input) : quote(raw)}`;
  return { ok: false, text: `${path ? `${path}: ` : ''}${issue.message}${got}` };
}

/**
 * How the function reaches PostgreSQL (docs/deploy.md): exactly one of a URL and a Cloud SQL instance;
 * the instance with an IAM database user; a URL in production only with verified TLS.
 * `urlGiven`: DATABASE_URL was set, even if it could not be read (that problem is reported already).
 */
function databaseChecks(
  values: Partial<SettingValues>,
  env: 'production' | 'local',
  urlGiven: boolean,
): Problem[] {
  const problems: Problem[] = [];
  const instance = values.CLOUD_SQL_INSTANCE;
  if (urlGiven && instance !== undefined) {
    problems.push({
      setting: 'CLOUD_SQL_INSTANCE',
      text: 'set exactly one of DATABASE_URL and CLOUD_SQL_INSTANCE, not both',
    });
  } else if (!urlGiven && instance === undefined) {
    problems.push({
      setting: 'DATABASE_URL',
      text: 'set DATABASE_URL or CLOUD_SQL_INSTANCE, neither is set',
    });
  }
  if (instance !== undefined && values.DATABASE_USER === undefined) {
    problems.push({ setting: 'DATABASE_USER', text: 'required with CLOUD_SQL_INSTANCE, not set' });
  }
  if (values.DATABASE_URL !== undefined) {
    const problem = databaseUrlProblem(values.DATABASE_URL, env === 'production');
    if (problem) problems.push({ setting: 'DATABASE_URL', text: problem });
  }
  return problems;
}

function crossChecks(values: Partial<SettingValues>, env: 'production' | 'local'): Problem[] {
  const problems: Problem[] = [];
  if (values.TASKS_EMULATOR_HOST !== undefined && env !== 'local') {
    problems.push({ setting: 'TASKS_EMULATOR_HOST', text: 'only allowed when HOSTPAY_ENV=local' });
  }
  const { MAX_FEE_PER_GAS_GWEI: maxFee, MAX_PRIORITY_FEE_PER_GAS_GWEI: priorityFee } = values;
  if (maxFee !== undefined && priorityFee !== undefined && priorityFee > maxFee) {
    problems.push({ setting: 'MAX_PRIORITY_FEE_PER_GAS_GWEI', text: 'must not exceed MAX_FEE_PER_GAS_GWEI' });
  }
  problems.push(...timeOrder(values));
  if (env === 'production') {
    // Tasks carry an OIDC token to these targets, and the webhook URL is a secret: plain http would expose them.
    for (const name of [
      'RETRY_PAYMENT_URL',
      'RECORD_FAILURE_URL',
      'UPSTREAM_COMPLETED_URL',
      'UPSTREAM_FAILED_URL',
      'SLACK_WEBHOOK_URL',
    ] as const) {
      const target = values[name];
      if (target?.startsWith('http:'))
        problems.push({ setting: name, text: 'expected an https URL in production' });
    }
    for (const [context, target] of Object.entries(values.UPSTREAM_COMPLETED_URLS ?? {})) {
      if (target?.startsWith('http:')) {
        problems.push({
          setting: 'UPSTREAM_COMPLETED_URLS',
          text: `${context}: expected an https URL in production`,
        });
      }
    }
  }
  return problems;
}

/**
 * The time bounds must nest (docs/architecture.md, "Time bounds"): a lease outlives the longest stretch
 * between two renewals (three RPC requests), and the longest attempt ends inside the longest dispatch
 * deadline Cloud Tasks allows, with a margin.
 */
function timeOrder(values: Partial<SettingValues>): Problem[] {
  const problems: Problem[] = [];
  const { LEASE_SECONDS: lease, RECEIPT_WAIT_SECONDS: wait, RPC_TIMEOUT_SECONDS: rpc } = values;
  if (lease !== undefined && wait !== undefined && lease <= wait) {
    problems.push({
      setting: 'LEASE_SECONDS',
      text: `must be longer than RECEIPT_WAIT_SECONDS (${wait}) so a live attempt keeps its lease, got ${lease}`,
    });
  }
  if (lease !== undefined && rpc !== undefined && lease < 3 * rpc) {
    problems.push({
      setting: 'LEASE_SECONDS',
      text: `must be at least 3 x RPC_TIMEOUT_SECONDS (${3 * rpc}): a lease outlives three RPC requests between renewals, got ${lease}`,
    });
  }
  if (wait !== undefined && rpc !== undefined) {
    const bound = attemptBoundSeconds({ receiptWaitSeconds: wait, rpcTimeoutSeconds: rpc });
    if (bound + DISPATCH_MARGIN_SECONDS > MAX_DISPATCH_DEADLINE_SECONDS) {
      problems.push({
        setting: 'RECEIPT_WAIT_SECONDS',
        text: `with RPC_TIMEOUT_SECONDS ${rpc} an attempt can take ${bound} s, which does not fit the ${MAX_DISPATCH_DEADLINE_SECONDS} s dispatch deadline less ${DISPATCH_MARGIN_SECONDS} s`,
      });
    }
  }
  return problems;
}

function configError(problems: readonly Problem[]): HostpayError {
  const order = (setting: SettingName) => SPECS.findIndex((spec) => spec.env === setting);
  const lines = [...problems]
    .sort((a, b) => order(a.setting) - order(b.setting))
    .map((p) => `${p.setting}: ${p.text}`);
  return new HostpayError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, {
    details: { problems: lines, settings: [...new Set(problems.map((p) => p.setting))] },
  });
}

/**
 * Reads every setting from `env` (docs/architecture.md, "Configuration"): secrets through Secret Manager references or as
 * mounted, numbers strictly, fee caps exactly into wei. Settings with no default are required when
 * `functionName` reads them (all when it is absent); a secret the function does not read is not
 * resolved. Every problem is reported at once, one line per setting, as CONFIG_INVALID; a secret
 * value never appears in it.
 */
export async function loadConfig<F extends FunctionName>(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions & { functionName: F; only?: undefined },
): Promise<ConfigFor<F>>;
export async function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options?: LoadConfigOptions,
): Promise<Config>;
export async function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): Promise<Config> {
  const { functionName } = options;
  const problems: Problem[] = [];
  const specs = options.only ? SPECS.filter((spec) => options.only!.includes(spec.env)) : SPECS;
  const secretNames = specs
    .filter((spec) => spec.secret && reads(spec, functionName))
    .map((spec) => spec.env);
  const resolved = await resolveSecrets(env, options.secrets ?? createSecretManagerClient, secretNames);
  for (const { setting, problem } of resolved.problems)
    problems.push({ setting: setting as SettingName, text: problem });
  const unresolved = new Set(resolved.problems.map((p) => p.setting));

  const rawEnv = env.HOSTPAY_ENV === '' ? undefined : env.HOSTPAY_ENV;
  // An unreadable HOSTPAY_ENV is reported below; the checks assume the stricter production.
  const mode = rawEnv === 'local' ? 'local' : 'production';
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const spec of specs) {
    if (unresolved.has(spec.env)) continue;
    if (spec.secret && !reads(spec, functionName)) continue;
    const given = spec.secret ? resolved.values[spec.env] : env[spec.env];
    const raw = given === undefined || given === '' ? spec.default : given;
    if (raw === undefined) {
      const needed =
        spec.required && reads(spec, functionName) && (!spec.productionOnly || mode === 'production');
      if (needed) problems.push({ setting: spec.env, text: missingText(spec, functionName) });
      continue;
    }
    const parsed = parseSetting(spec, raw);
    if (parsed.ok) values[spec.env] = parsed.value;
    else problems.push({ setting: spec.env, text: parsed.text });
  }
  const typed = values as Partial<SettingValues>;
  problems.push(...crossChecks(typed, mode));
  const readsDatabase = specs.some((spec) => spec.env === 'DATABASE_URL' && reads(spec, functionName));
  if (readsDatabase) {
    const urlGiven = env.DATABASE_URL !== undefined && env.DATABASE_URL !== '';
    problems.push(...databaseChecks(typed, mode, urlGiven));
  }
  if (problems.length > 0) throw configError(problems);
  return buildConfig(typed, functionName);
}

function missingText(spec: SettingSpec, functionName: FunctionName | undefined): string {
  if (spec.productionOnly) return 'required when HOSTPAY_ENV=production, not set';
  return functionName ? `required by ${functionName}, not set` : 'required, not set';
}

function buildConfig(values: Partial<SettingValues>, functionName: FunctionName | undefined): Config {
  const fields: Record<string, unknown> = { functionName };
  const secrets = new Set<string>();
  for (const spec of SPECS) {
    const value = values[spec.env];
    fields[SETTING_FIELDS[spec.env]] = value;
    if (spec.secret && typeof value === 'string') for (const form of secretForms(value)) secrets.add(form);
  }
  fields.secretValues = Object.freeze([...secrets]);
  return Object.freeze(fields) as unknown as Config;
}
