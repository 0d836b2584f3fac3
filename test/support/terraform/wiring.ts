/**
 * Checks that what the functions are told matches what Terraform builds: queue
 * settings name declared queues where TASKS_PROJECT / TASKS_LOCATION say, URL settings point at the
 * right function, mounted secrets exist and are readable by the function's identity, and every task the
 * code creates is allowed: enqueuer on the queue, actAs on the OIDC identity, invoker on the target.
 */
import type { Evaluator } from './eval.js';
import { type DeployedFunction, evalMessage, instancesOf, whereOf } from './functions.js';
import type { Finding, TerraformModule } from './load.js';
import { describe, sameValue, Unknown, type Value } from './value.js';

const QUEUE_TYPE = 'google_cloud_tasks_queue';
const SECRET_TYPE = 'google_secret_manager_secret';

/** `serviceAccount:x`, `x.member` and `x.email` all name the same principal. */
export function principalOf(v: Value): string | undefined {
  if (typeof v === 'string') return v.replace(/^serviceAccount:/, '');
  if (!(v instanceof Unknown)) return undefined;
  const text = v.text.replace(/^serviceAccount:\$\{(.*)\}$/, '$1');
  return text.replace(/\.(member|email|name|id)$/, '.email');
}

interface Grant {
  readonly address: string;
  readonly target: Value;
  readonly role: Value;
  readonly members: readonly Value[];
}

/** Every IAM grant of the given resource types, evaluated (`targetArg` names what it is granted on). */
async function grantsOf(
  module: TerraformModule,
  evaluator: Evaluator,
  types: readonly string[],
  targetArg: string,
): Promise<Grant[]> {
  const grants: Grant[] = [];
  for (const type of types) {
    for (const { address, block, scope } of await instancesOf(module, evaluator, type)) {
      const { member, members, role } = block.body;
      const all =
        members === undefined ? [await evaluator.raw(member, scope)] : await evaluator.raw(members, scope);
      const target = block.body[targetArg];
      grants.push({
        address,
        target: target === undefined ? null : await evaluator.raw(target, scope),
        role: await evaluator.raw(role, scope),
        members: Array.isArray(all) ? all : [all],
      });
    }
  }
  return grants;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether an evaluated argument designates the resource instance at `address` whose name is `name`. */
function designates(target: Value, address: string, name: Value): boolean {
  if (sameValue(target, name) === true) return true;
  if (target instanceof Unknown)
    return new RegExp(`^${escapeRegExp(address)}\\.(id|name|secret_id)$`).test(target.text);
  if (typeof target === 'string' && typeof name === 'string') return target.endsWith(`/${name}`);
  return false;
}

const hasMember = (grant: Grant, principal: string | undefined) =>
  principal !== undefined && grant.members.some((m) => principalOf(m) === principal);

/** Whether `url` is the Cloud Run (run.app) or Cloud Functions URL of the service `service`. */
function isUrlOf(url: Value, service: string): boolean {
  // A URL known only after apply (the project number) is checked on its known parts.
  const text = url instanceof Unknown ? url.text.replace(/\$\{[^}]*\}/g, 'x') : url;
  if (typeof text !== 'string' || !URL.canParse(text)) return false;
  const parsed = new URL(text);
  return (
    parsed.protocol === 'https:' &&
    (parsed.hostname.startsWith(`${service}-`) || parsed.pathname === `/${service}`)
  );
}

export interface WiringOptions {
  /** URL setting => entry point of the function it must point at. */
  readonly urlSettings?: Readonly<Record<string, string>>;
  /** Queue settings a function creates tasks on (so it needs the enqueuer role and actAs). */
  readonly enqueueSettings?: readonly string[];
}

const DEFAULT_URL_SETTINGS = { RETRY_PAYMENT_URL: 'retryPayment', RECORD_FAILURE_URL: 'recordFailure' };
const DEFAULT_ENQUEUE_SETTINGS = ['RETRY_QUEUE', 'FAILURE_QUEUE', 'NOTICE_QUEUE'];

interface Declared {
  readonly queues: readonly { address: string; name: Value; location: Value; project: Value }[];
  readonly secrets: readonly { address: string; secretId: Value }[];
  readonly grants: Readonly<Record<'secret' | 'run' | 'queue' | 'project' | 'actAs', Grant[]>>;
}

async function readDeclared(module: TerraformModule, evaluator: Evaluator): Promise<Declared> {
  const queues: { address: string; name: Value; location: Value; project: Value }[] = [];
  for (const { address, block, scope } of await instancesOf(module, evaluator, QUEUE_TYPE)) {
    const { name, location, project } = block.body;
    queues.push({
      address,
      name: await evaluator.raw(name, scope),
      location: await evaluator.raw(location ?? null, scope),
      project: await evaluator.raw(project ?? null, scope),
    });
  }
  const secrets: { address: string; secretId: Value }[] = [];
  for (const { address, block, scope } of await instancesOf(module, evaluator, SECRET_TYPE)) {
    secrets.push({ address, secretId: await evaluator.raw(block.body.secret_id, scope) });
  }
  const kinds = (prefix: string) => [`${prefix}_iam_member`, `${prefix}_iam_binding`];
  return {
    queues,
    secrets,
    grants: {
      secret: await grantsOf(module, evaluator, kinds(SECRET_TYPE), 'secret_id'),
      run: await grantsOf(
        module,
        evaluator,
        [...kinds('google_cloud_run_v2_service'), ...kinds('google_cloud_run_service')],
        'name',
      ),
      queue: await grantsOf(module, evaluator, kinds(QUEUE_TYPE), 'name'),
      project: await grantsOf(module, evaluator, kinds('google_project'), 'project'),
      actAs: await grantsOf(module, evaluator, kinds('google_service_account'), 'service_account_id'),
    },
  };
}

type Report = (message: string) => void;

function checkQueues(
  f: DeployedFunction,
  declared: Declared,
  enqueueSettings: readonly string[],
  report: Report,
) {
  const env = f.env ?? {};
  const account = principalOf(f.serviceAccount);
  const queueSettings = Object.entries(env).filter(([name]) => name.endsWith('_QUEUE'));
  for (const [name, value] of queueSettings) {
    const queue = declared.queues.find((q) => sameValue(q.name, value) === true);
    if (!queue) {
      const names = declared.queues.map((q) => describe(q.name)).join(', ') || 'none';
      report(`${name} = ${describe(value)} names no ${QUEUE_TYPE} (declared: ${names})`);
      continue;
    }
    if (env.TASKS_LOCATION !== undefined && sameValue(env.TASKS_LOCATION, queue.location) === false) {
      report(
        `TASKS_LOCATION = ${describe(env.TASKS_LOCATION)} but ${queue.address} is in ${describe(queue.location)}`,
      );
    }
    if (
      env.TASKS_PROJECT !== undefined &&
      queue.project !== null &&
      sameValue(env.TASKS_PROJECT, queue.project) === false
    ) {
      report(
        `TASKS_PROJECT = ${describe(env.TASKS_PROJECT)} but ${queue.address} is in ${describe(queue.project)}`,
      );
    }
    if (!enqueueSettings.includes(name)) continue;
    const enqueuer = (g: Grant) => g.role === 'roles/cloudtasks.enqueuer' && hasMember(g, account);
    const allowed =
      declared.grants.queue.some((g) => enqueuer(g) && designates(g.target, queue.address, queue.name)) ||
      declared.grants.project.some(enqueuer);
    if (!allowed)
      report(`creates tasks on ${queue.address} (${name}) but may not: no roles/cloudtasks.enqueuer there`);
  }
  for (const [i, [a, av]] of queueSettings.entries()) {
    for (const [b, bv] of queueSettings.slice(i + 1)) {
      if (sameValue(av, bv) === true) report(`${a} and ${b} name the same queue ${describe(av)}`);
    }
  }
  const invoker = principalOf(env.TASKS_INVOKER_SERVICE_ACCOUNT ?? null);
  if (invoker === undefined || !enqueueSettings.some((s) => s in env)) return;
  const user = (g: Grant) => g.role === 'roles/iam.serviceAccountUser' && hasMember(g, account);
  const canActAs =
    declared.grants.actAs.some((g) => user(g) && principalOf(g.target) === invoker) ||
    declared.grants.project.some(user);
  if (!canActAs)
    report(
      `creates tasks carrying ${invoker}'s OIDC token but may not act as it (roles/iam.serviceAccountUser)`,
    );
}

function checkUrls(
  f: DeployedFunction,
  byEntryPoint: ReadonlyMap<Value, DeployedFunction>,
  declared: Declared,
  urlSettings: Readonly<Record<string, string>>,
  report: Report,
) {
  const env = f.env ?? {};
  const invoker = principalOf(env.TASKS_INVOKER_SERVICE_ACCOUNT ?? null);
  for (const [name, entryPoint] of Object.entries(urlSettings)) {
    if (!(name in env)) continue;
    const value = env[name] ?? null;
    const target = byEntryPoint.get(entryPoint);
    if (!target) {
      report(`${name} must point at ${entryPoint}, but no function has that entry point`);
      continue;
    }
    const ownUrl = value instanceof Unknown && value.text.startsWith(`${target.address}.`);
    if (!ownUrl && !(typeof target.name === 'string' && isUrlOf(value, target.name))) {
      report(
        `${name} = ${describe(value)} is not the URL of ${target.address} (service ${describe(target.name)})`,
      );
    }
    if (invoker === undefined) continue;
    const allowed = declared.grants.run.some(
      (g) =>
        g.role === 'roles/run.invoker' &&
        designates(g.target, target.address, target.name) &&
        hasMember(g, invoker),
    );
    if (!allowed)
      report(
        `sends tasks to ${entryPoint} as ${invoker}, which has no roles/run.invoker on ${target.address}`,
      );
  }
}

function checkSecrets(f: DeployedFunction, declared: Declared, report: Report) {
  const account = principalOf(f.serviceAccount);
  for (const [name, secret] of Object.entries(f.secrets)) {
    const found = declared.secrets.find(
      (s) => sameValue(s.secretId, secret) === true || designates(secret, s.address, s.secretId),
    );
    if (!found) {
      report(`secret ${name} is read from ${describe(secret)}, which is no ${SECRET_TYPE} here`);
      continue;
    }
    const readable = declared.grants.secret.some(
      (g) =>
        g.role === 'roles/secretmanager.secretAccessor' &&
        designates(g.target, found.address, found.secretId) &&
        hasMember(g, account),
    );
    if (!readable)
      report(`mounts ${name} from ${found.address} but its service account may not read it (secretAccessor)`);
  }
}

/** All the wiring checks over every function. */
export async function checkWiring(
  module: TerraformModule,
  evaluator: Evaluator,
  functions: readonly DeployedFunction[],
  options: WiringOptions = {},
): Promise<Finding[]> {
  let declared: Declared;
  try {
    declared = await readDeclared(module, evaluator);
  } catch (error) {
    return [{ check: 'wiring', where: module.dir, message: evalMessage(error) }];
  }
  const findings: Finding[] = [];
  const byEntryPoint = new Map(functions.map((f) => [f.entryPoint, f]));
  for (const f of functions) {
    const report: Report = (message) => findings.push({ check: 'wiring', where: whereOf(f), message });
    checkQueues(f, declared, options.enqueueSettings ?? DEFAULT_ENQUEUE_SETTINGS, report);
    checkUrls(f, byEntryPoint, declared, options.urlSettings ?? DEFAULT_URL_SETTINGS, report);
    checkSecrets(f, declared, report);
  }
  return findings;
}
