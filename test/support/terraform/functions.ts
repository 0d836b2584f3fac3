/**
 * The deployed functions as Terraform declares them, and the checks that they agree with the code
 *: an entry point the bundle exports, every setting the configuration requires,
 * secrets only from Secret Manager, nothing a function does not read.
 */
import type { Evaluator, Scope } from './eval.js';
import type { Finding, TerraformBlock, TerraformModule } from './load.js';
import { suggest } from './schema.js';
import { describe, isSet, ResourceRef, TerraformEvalError, Unknown, type Value } from './value.js';

/** The part of shared/config's SettingSpec the checks use. */
export interface SettingRule {
  readonly env: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly default?: string;
  readonly functions: readonly string[];
  readonly productionOnly?: boolean;
}

/** One deployed function instance, evaluated. */
export interface DeployedFunction {
  readonly address: string;
  readonly block: TerraformBlock;
  readonly key: string | number | undefined;
  readonly name: Value;
  readonly entryPoint: Value;
  readonly runtime: Value;
  readonly serviceAccount: Value;
  /** Plain environment: name => value, or unknown when it cannot be evaluated. */
  readonly env: Readonly<Record<string, Value>> | undefined;
  /** Secret environment variables: name => the secret it is read from. */
  readonly secrets: Readonly<Record<string, Value>>;
}

export const FUNCTION_TYPE = 'google_cloudfunctions2_function';

export const isBlockBody = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Unknown) &&
  !(v instanceof ResourceRef);

const first = (v: unknown): Record<string, unknown> => (Array.isArray(v) && isBlockBody(v[0]) ? v[0] : {});

/** The message of an evaluation failure; anything else is a bug and is rethrown. */
export const evalMessage = (error: unknown): string => {
  if (error instanceof TerraformEvalError) return error.message;
  throw error;
};

/** Instances of every resource of one type, with their evaluation scope. */
export async function instancesOf(module: TerraformModule, evaluator: Evaluator, type: string) {
  const out: { address: string; block: TerraformBlock; key: string | number | undefined; scope: Scope }[] =
    [];
  for (const block of module.resources.values()) {
    if (!block.address.startsWith(`${type}.`)) continue;
    for (const { key, scope } of await evaluator.instances(block)) {
      out.push({
        address: key === undefined ? block.address : `${block.address}[${JSON.stringify(key)}]`,
        block,
        key,
        scope,
      });
    }
  }
  return out;
}

/** Blocks of `name` in `body`, literal and dynamic, each with the scope its content is evaluated in. */
async function expandBlocks(
  evaluator: Evaluator,
  body: Record<string, unknown>,
  name: string,
  scope: Scope,
): Promise<{ body: Record<string, unknown>; scope: Scope }[]> {
  const out: { body: Record<string, unknown>; scope: Scope }[] = [];
  for (const literal of Array.isArray(body[name]) ? (body[name] as unknown[]) : []) {
    if (isBlockBody(literal)) out.push({ body: literal, scope });
  }
  const dynamics =
    isBlockBody(body.dynamic) && Array.isArray(body.dynamic[name]) ? (body.dynamic[name] as unknown[]) : [];
  for (const dynamic of dynamics) {
    if (!isBlockBody(dynamic)) continue;
    const collection = await evaluator.raw(dynamic.for_each, scope);
    if (collection instanceof Unknown)
      throw new TerraformEvalError(`dynamic "${name}": for_each is not known before apply`);
    const iterator =
      typeof dynamic.iterator === 'string' ? dynamic.iterator.replace(/^\$\{(.*)\}$/, '$1') : name;
    let entries: [Value, Value][];
    if (isSet(collection) || !isBlockBody(collection)) {
      if (!Array.isArray(collection))
        throw new TerraformEvalError(`dynamic "${name}": for_each is ${describe(collection)}`);
      entries = collection.map((v, i) => [isSet(collection) ? v : i, v]);
    } else entries = Object.keys(collection).map((k) => [k, collection[k] as Value]);
    for (const [key, value] of entries) {
      const names = new Map(scope.names);
      names.set(iterator, { key, value });
      out.push({ body: first(dynamic.content), scope: { ...scope, names } });
    }
  }
  return out;
}

/** Every function instance with its evaluated entry point, environment and secrets. */
export async function readFunctions(
  module: TerraformModule,
  evaluator: Evaluator,
): Promise<{ functions: DeployedFunction[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const functions: DeployedFunction[] = [];
  let instances: Awaited<ReturnType<typeof instancesOf>>;
  try {
    instances = await instancesOf(module, evaluator, FUNCTION_TYPE);
  } catch (error) {
    return {
      functions,
      findings: [{ check: 'functions', where: FUNCTION_TYPE, message: evalMessage(error) }],
    };
  }
  for (const { address, block, key, scope } of instances) {
    const where = `${block.file}: ${address}`;
    const attempt = async (what: string, run: () => Promise<Value>): Promise<Value> => {
      try {
        return await run();
      } catch (error) {
        findings.push({
          check: 'functions',
          where,
          message: `cannot evaluate ${what}: ${evalMessage(error)}`,
        });
        return new Unknown(what);
      }
    };
    const build = first(block.body.build_config);
    const service = first(block.body.service_config);
    const envValue = await attempt('service_config.environment_variables', () =>
      evaluator.raw(service.environment_variables ?? {}, scope),
    );
    const secrets: Record<string, Value> = {};
    try {
      for (const item of await expandBlocks(evaluator, service, 'secret_environment_variables', scope)) {
        const name = await evaluator.raw(item.body.key, item.scope);
        if (typeof name !== 'string')
          throw new TerraformEvalError(`secret_environment_variables key is ${describe(name)}`);
        secrets[name] = await evaluator.raw(item.body.secret, item.scope);
      }
    } catch (error) {
      findings.push({
        check: 'functions',
        where,
        message: `cannot evaluate secret_environment_variables: ${evalMessage(error)}`,
      });
    }
    let env: Record<string, Value> | undefined;
    if (isBlockBody(envValue)) env = envValue as Record<string, Value>;
    else if (envValue === null) env = {};
    else {
      findings.push({
        check: 'functions',
        where,
        message: `environment_variables cannot be known before apply (${describe(envValue)}), so the settings cannot be checked`,
      });
    }
    functions.push({
      address,
      block,
      key,
      name: await attempt('name', () => evaluator.raw(block.body.name, scope)),
      entryPoint: await attempt('build_config.entry_point', () =>
        evaluator.raw(build.entry_point ?? null, scope),
      ),
      runtime: await attempt('build_config.runtime', () => evaluator.raw(build.runtime ?? null, scope)),
      serviceAccount: await attempt('service_config.service_account_email', () =>
        evaluator.raw(service.service_account_email ?? null, scope),
      ),
      env,
      secrets,
    });
  }
  return { functions, findings };
}

export const whereOf = (f: DeployedFunction) => `${f.block.file}: ${f.address}`;

/** Every function's entry point is a name the bundle's entry module exports. */
export function checkEntryPoints(
  functions: readonly DeployedFunction[],
  exported: ReadonlySet<string>,
  entryFile: string,
) {
  const findings: Finding[] = [];
  for (const f of functions) {
    if (typeof f.entryPoint !== 'string') {
      findings.push({
        check: 'entry points',
        where: whereOf(f),
        message: `entry_point is not a known string (${describe(f.entryPoint)})`,
      });
    } else if (!exported.has(f.entryPoint)) {
      const list = [...exported].sort().join(', ') || 'nothing';
      findings.push({
        check: 'entry points',
        where: whereOf(f),
        message: `entry point "${f.entryPoint}" is not exported by ${entryFile} (it exports: ${list})${suggest(f.entryPoint, exported)}`,
      });
    }
  }
  return findings;
}

/**
 * Each function gets every setting it requires (plain or secret), secrets only through
 * secret_environment_variables, no name that is not a setting, and nothing it does not read.
 */
/** Variables for the runtime itself, not hostpay settings: NODE_ENV keeps Express's error pages bare. */
const PLATFORM_ENV = new Set(['NODE_ENV']);

export function checkSettings(
  functions: readonly DeployedFunction[],
  settings: readonly SettingRule[],
): Finding[] {
  const findings: Finding[] = [];
  const byName = new Map(settings.map((s) => [s.env, s]));
  for (const f of functions) {
    if (typeof f.entryPoint !== 'string' || f.env === undefined) continue;
    const fn = f.entryPoint;
    const report = (message: string) => findings.push({ check: 'settings', where: whereOf(f), message });
    const production = f.env.HOSTPAY_ENV === undefined || f.env.HOSTPAY_ENV !== 'local';
    for (const [name, value] of Object.entries(f.env)) {
      const setting = byName.get(name);
      if (PLATFORM_ENV.has(name)) continue;
      if (!setting) {
        report(`environment variable ${name} is not a hostpay setting${suggest(name, byName.keys())}`);
      } else if (setting.secret) {
        report(
          `${name} is a secret: it must come from Secret Manager (secret_environment_variables), not environment_variables`,
        );
      } else if (!setting.functions.includes(fn)) {
        report(`gives ${name} to ${fn}, which does not read it`);
      }
      if (value === null) report(`${name} is null`);
    }
    for (const name of Object.keys(f.secrets)) {
      const setting = byName.get(name);
      if (!setting)
        report(`secret environment variable ${name} is not a hostpay setting${suggest(name, byName.keys())}`);
      else if (!setting.functions.includes(fn))
        report(`mounts secret ${name} in ${fn}, which does not read it`);
      if (name in f.env) report(`${name} is both a plain and a secret environment variable`);
    }
    for (const setting of settings) {
      const needed =
        setting.functions.includes(fn) &&
        setting.required &&
        setting.default === undefined &&
        (production || !setting.productionOnly);
      if (!needed || setting.env in f.env || setting.env in f.secrets) continue;
      const how = setting.secret
        ? 'mount it with secret_environment_variables'
        : 'set it in environment_variables';
      report(`${fn} requires ${setting.env} (shared/config/settings.ts) but is not given it: ${how}`);
    }
  }
  return findings;
}
