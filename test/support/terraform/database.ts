/**
 * Checks that every function can reach PostgreSQL the way its settings say (docs/deploy.md,
 * "Database"): exactly one of CLOUD_SQL_INSTANCE and DATABASE_URL; with the Cloud SQL connector, a
 * well-formed connection name, roles/cloudsql.client and roles/cloudsql.instanceUser for the function's
 * service account, DATABASE_USER equal to that account's IAM database user, a google_sql_user of type
 * CLOUD_IAM_SERVICE_ACCOUNT for it, VPC egress when the instance is reached over a private address, and
 * IAM authentication switched on for an instance declared here.
 */
import type { Evaluator, Scope } from './eval.js';
import { type DeployedFunction, evalMessage, instancesOf, isBlockBody, whereOf } from './functions.js';
import type { Finding, TerraformModule } from './load.js';
import { describe, type Value } from './value.js';
import { principalOf } from './wiring.js';

/** project:region:instance, with the optional domain of a domain-scoped project in front. */
const CONNECTION_NAME = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]:[a-z]+-[a-z]+[0-9]+:[a-z][a-z0-9-]*$/;

const CONNECTOR_ROLES: readonly (readonly [string, string])[] = [
  ['roles/cloudsql.client', 'the connector cannot open its tunnel: cloudsql.instances.connect'],
  ['roles/cloudsql.instanceUser', 'IAM database login is refused: cloudsql.instances.login'],
];

const first = (v: unknown): Record<string, unknown> => (Array.isArray(v) && isBlockBody(v[0]) ? v[0] : {});

interface Declared {
  readonly grants: readonly { role: Value; member: Value }[];
  readonly users: readonly { name: Value; type: Value }[];
  /** principalOf(service account reference) => its e-mail, from account_id and project. */
  readonly emails: ReadonlyMap<string, string>;
  readonly instances: readonly { address: string; name: Value; flags: Readonly<Record<string, Value>> }[];
}

async function readDeclared(module: TerraformModule, evaluator: Evaluator): Promise<Declared> {
  const grants: { role: Value; member: Value }[] = [];
  for (const { block, scope } of await instancesOf(module, evaluator, 'google_project_iam_member')) {
    grants.push({
      role: await evaluator.raw(block.body.role, scope),
      member: await evaluator.raw(block.body.member, scope),
    });
  }
  const users: { name: Value; type: Value }[] = [];
  for (const { block, scope } of await instancesOf(module, evaluator, 'google_sql_user')) {
    users.push({
      name: await evaluator.raw(block.body.name, scope),
      type: await evaluator.raw(block.body.type ?? 'BUILT_IN', scope),
    });
  }
  const emails = new Map<string, string>();
  for (const { address, block, scope } of await instancesOf(module, evaluator, 'google_service_account')) {
    const accountId = await evaluator.raw(block.body.account_id, scope);
    const project = await evaluator.raw(block.body.project ?? null, scope);
    if (typeof accountId === 'string' && typeof project === 'string') {
      emails.set(`${address}.email`, `${accountId}@${project}.iam.gserviceaccount.com`);
    }
  }
  const instances: { address: string; name: Value; flags: Record<string, Value> }[] = [];
  for (const { address, block, scope } of await instancesOf(
    module,
    evaluator,
    'google_sql_database_instance',
  )) {
    const flags: Record<string, Value> = {};
    const settings = first(block.body.settings);
    for (const flag of Array.isArray(settings.database_flags) ? settings.database_flags : []) {
      if (!isBlockBody(flag)) continue;
      const name = await evaluator.raw(flag.name, scope);
      if (typeof name === 'string') flags[name] = await evaluator.raw(flag.value, scope);
    }
    instances.push({ address, name: await evaluator.raw(block.body.name, scope), flags });
  }
  return { grants, users, emails, instances };
}

async function scopeOf(evaluator: Evaluator, f: DeployedFunction): Promise<Scope | undefined> {
  return (await evaluator.instances(f.block)).find((i) => i.key === f.key)?.scope;
}

const isSet = (v: Value | undefined): boolean => v !== undefined && v !== null;

async function checkFunction(
  evaluator: Evaluator,
  f: DeployedFunction,
  declared: Declared,
  report: (message: string) => void,
): Promise<void> {
  const env = f.env ?? {};
  const instance = env.CLOUD_SQL_INSTANCE;
  const url = 'DATABASE_URL' in f.secrets || isSet(env.DATABASE_URL);
  if (!isSet(instance)) {
    if (!url) report('reaches no database: it is given neither CLOUD_SQL_INSTANCE nor DATABASE_URL');
    return;
  }
  if (url) report('is given both CLOUD_SQL_INSTANCE and DATABASE_URL: exactly one of them may be set');
  if (typeof instance === 'string' && !CONNECTION_NAME.test(instance)) {
    report(`CLOUD_SQL_INSTANCE = ${describe(instance)} is not a connection name (project:region:instance)`);
  }

  const account = principalOf(f.serviceAccount);
  for (const [role, why] of CONNECTOR_ROLES) {
    const granted = declared.grants.some((g) => g.role === role && principalOf(g.member) === account);
    if (!granted) {
      report(
        `connects through the Cloud SQL connector (CLOUD_SQL_INSTANCE) but its service account ${account ?? describe(f.serviceAccount)} has no ${role} (${why})`,
      );
    }
  }

  const user = env.DATABASE_USER;
  const email =
    (account !== undefined ? declared.emails.get(account) : undefined) ??
    (typeof f.serviceAccount === 'string' ? f.serviceAccount : undefined);
  if (!isSet(user)) {
    report('uses the Cloud SQL connector without DATABASE_USER (its IAM database user)');
  } else {
    const expected = email?.replace(/\.gserviceaccount\.com$/, '');
    if (expected !== undefined && typeof user === 'string' && user !== expected) {
      report(
        `DATABASE_USER = ${describe(user)} is not its service account's IAM database user "${expected}"`,
      );
    }
    const exists = declared.users.some(
      (u) => u.type === 'CLOUD_IAM_SERVICE_ACCOUNT' && typeof user === 'string' && u.name === user,
    );
    if (!exists) {
      report(
        `logs in as ${describe(user ?? null)}, but no google_sql_user of type CLOUD_IAM_SERVICE_ACCOUNT has that name: the login is refused`,
      );
    }
  }

  const ipType = isSet(env.CLOUD_SQL_IP_TYPE) ? env.CLOUD_SQL_IP_TYPE : 'PRIVATE';
  if (ipType !== 'PUBLIC') {
    const scope = await scopeOf(evaluator, f);
    const service = first(f.block.body.service_config);
    const connector =
      scope === undefined || service.vpc_connector === undefined
        ? null
        : await evaluator.raw(service.vpc_connector, scope);
    if (!isSet(connector)) {
      report(
        `reaches Cloud SQL over ${describe(ipType ?? null)} without VPC egress: service_config.vpc_connector is not set`,
      );
    }
  }

  const instanceName = typeof instance === 'string' ? instance.split(':').at(-1) : undefined;
  const declaredInstance = declared.instances.find((i) => i.name === instanceName);
  if (declaredInstance && declaredInstance.flags['cloudsql.iam_authentication'] !== 'on') {
    report(
      `logs in with IAM database authentication, but ${declaredInstance.address} does not set the flag cloudsql.iam_authentication = "on"`,
    );
  }
}

export async function checkDatabase(
  module: TerraformModule,
  evaluator: Evaluator,
  functions: readonly DeployedFunction[],
): Promise<Finding[]> {
  let declared: Declared;
  try {
    declared = await readDeclared(module, evaluator);
  } catch (error) {
    return [{ check: 'database', where: module.dir, message: evalMessage(error) }];
  }
  const findings: Finding[] = [];
  for (const f of functions) {
    const report = (message: string) => findings.push({ check: 'database', where: whereOf(f), message });
    try {
      await checkFunction(evaluator, f, declared, report);
    } catch (error) {
      report(evalMessage(error));
    }
  }
  return findings;
}
