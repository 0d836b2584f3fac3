import assert from 'node:assert/strict';
import { SETTINGS } from '../../../shared/config/index.js';
import {
  conditionFindings,
  databaseFindings,
  type Finding,
  formatFindings,
  monitoringFindings,
  prepareTerraformCheck,
  schemaFindings,
  settingFindings,
  type TerraformCheckContext,
  wiringFindings,
} from '../../support/terraform/check.js';

// The database, migration and alerting parts of the real terraform/ (docs/deploy.md), checked offline:
// first as configured, then with one mistake planted at a time in its text or its variables. Each
// planted mistake must be reported in these words, so the checks are known to see it.
const SCHEMA_DIR = 'terraform/.schema';

/** Replaces `from` in `file` (exactly once), so a planted mistake cannot silently miss its target. */
function plant(file: string, from: string, to: string) {
  return (name: string, text: string): string => {
    if (name !== file) return text;
    const at = text.indexOf(from);
    assert.ok(at >= 0 && text.indexOf(from, at + 1) < 0, `${file} must hold ${JSON.stringify(from)} once`);
    return text.slice(0, at) + to + text.slice(at + from.length);
  };
}

function prepare(options: {
  tfvars?: Record<string, unknown>;
  edit?: (file: string, text: string) => string;
}) {
  return prepareTerraformCheck('terraform', { schemaDir: SCHEMA_DIR, ...options });
}

async function everyFinding(context: TerraformCheckContext): Promise<Finding[]> {
  return [
    ...context.findings,
    ...schemaFindings(context),
    ...settingFindings(context, SETTINGS),
    ...(await wiringFindings(context)),
    ...(await databaseFindings(context)),
    ...(await monitoringFindings(context)),
    ...(await conditionFindings(context)),
  ];
}

const has = (findings: readonly Finding[], check: string, message: RegExp) =>
  assert.ok(
    findings.some((f) => f.check === check && message.test(f.message)),
    `expected a ${check} finding matching ${message}, got:\n${formatFindings(findings)}`,
  );

describe('terraform/ database, migrations and alerts', () => {
  it('connects every function through the Cloud SQL connector as its own IAM user (example variables)', async () => {
    const context = await prepare({});
    const findings = await everyFinding(context);
    assert.deepEqual(findings, [], formatFindings(findings));
    assert.equal(context.functions.length, 5);
    const users = new Set<unknown>();
    for (const f of context.functions) {
      assert.equal(f.env?.CLOUD_SQL_INSTANCE, 'acme-hostpay-prod:europe-west1:hostpay-pg');
      assert.equal(f.env?.CLOUD_SQL_IP_TYPE, 'PRIVATE');
      assert.equal(f.env?.DATABASE_NAME, 'hostpay');
      assert.equal(f.env?.DATABASE_POOL_MAX, '5');
      assert.match(String(f.env?.DATABASE_USER), /^hostpay-[a-z-]+@acme-hostpay-prod\.iam$/);
      assert.ok(!('DATABASE_URL' in f.secrets), `${String(f.entryPoint)} must not mount DATABASE_URL`);
      users.add(f.env?.DATABASE_USER);
    }
    assert.equal(users.size, 5, 'one database user per function');
    const migrate = (await context.evaluator.local('migrate_substitutions')) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(JSON.parse(String(migrate._MIGRATE_GRANTS))).sort(),
      context.functions.map((f) => f.entryPoint).sort(),
    );
    assert.equal(migrate._DATABASE_USER, 'hostpay-migrator@acme-hostpay-prod.iam');
  });

  it('attaches an existing public-IP instance without a VPC connector, and keeps URL mode on verified TLS', async () => {
    const existing = await prepare({
      tfvars: {
        database: {
          mode: 'existing',
          ip_type: 'PUBLIC',
          instance_connection_name: 'acme-db-prod:europe-west1:main',
          max_connections: 400,
        },
      },
    });
    assert.deepEqual(await everyFinding(existing), []);
    assert.equal(existing.functions[0]?.env?.CLOUD_SQL_INSTANCE, 'acme-db-prod:europe-west1:main');
    assert.equal(await existing.evaluator.local('db_vpc_connector'), null);
    assert.equal(await existing.evaluator.local('db_project'), 'acme-db-prod');

    const url = await prepare({
      tfvars: {
        database: {
          mode: 'url',
          url_template:
            'postgres://hostpay:PASSWORD@db.internal.example.com:5432/hostpay?sslmode=verify-full',
        },
      },
    });
    assert.deepEqual(await everyFinding(url), []);
    for (const f of url.functions) {
      assert.ok('DATABASE_URL' in f.secrets);
      assert.equal(f.env?.CLOUD_SQL_INSTANCE, undefined);
      assert.equal(f.env?.DATABASE_USER, undefined);
    }
  });

  it('reports a connector without roles/cloudsql.client', async () => {
    const context = await prepare({
      edit: plant(
        'database.tf',
        'db_roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]',
        'db_roles = ["roles/cloudsql.instanceUser"]',
      ),
    });
    const findings = await databaseFindings(context);
    has(findings, 'database', /connects through the Cloud SQL connector .* has no roles\/cloudsql\.client/);
    assert.equal(findings.length, 5, formatFindings(findings));
  });

  it('reports a DATABASE_USER that is not the service account, and one with no google_sql_user', async () => {
    const context = await prepare({
      edit: plant(
        'settings.tf',
        'local.function_db_users[fn] : null',
        '"hostpay-app@acme-hostpay-prod.iam" : null',
      ),
    });
    const findings = await databaseFindings(context);
    has(
      findings,
      'database',
      /DATABASE_USER = "hostpay-app@acme-hostpay-prod\.iam" is not its service account's IAM database user "hostpay-execute-payment@acme-hostpay-prod\.iam"/,
    );
    has(findings, 'database', /no google_sql_user of type CLOUD_IAM_SERVICE_ACCOUNT has that name/);
  });

  it('reports a private instance reached without VPC egress, and an instance without IAM authentication', async () => {
    const noEgress = await prepare({
      edit: plant('functions.tf', 'vpc_connector                  = local.db_vpc_connector\n', ''),
    });
    has(await databaseFindings(noEgress), 'database', /reaches Cloud SQL over "PRIVATE" without VPC egress/);

    const noIam = await prepare({ edit: plant('database.tf', 'value = "on"', 'value = "off"') });
    has(
      await databaseFindings(noIam),
      'database',
      /does not set the flag cloudsql\.iam_authentication = "on"/,
    );
  });

  it('reports an alert policy that does not depend on its log-based metric', async () => {
    const context = await prepare({
      edit: plant(
        'monitoring.tf',
        'depends_on = [google_logging_metric.events, google_logging_metric.scheduler_failures]',
        'depends_on = [google_logging_metric.scheduler_failures]',
      ),
    });
    const findings = await monitoringFindings(context);
    has(
      findings,
      'monitoring',
      /reads the log-based metric "hostpay\/events" but does not depends_on google_logging_metric\.events/,
    );
    // Every policy on the events metric, and none of the others (the 4xx and 5xx ones read Cloud Run's).
    const policies = new Set(findings.map((f) => f.where.replace(/^.*alert\["(.*)"\]$/, '$1')));
    assert.deepEqual([...policies].sort(), [
      'failed_permanently',
      'insufficient_funds',
      'payout_conflict',
      'pending_too_long',
      'startup_failed',
      'token_rejected',
      'wallet_balance_low',
    ]);
  });

  it('reports a dashboard created before a metric it charts', async () => {
    const context = await prepare({
      edit: plant('monitoring.tf', '    google_logging_metric.confirm_seconds,\n', ''),
    });
    const findings = await monitoringFindings(context);
    has(
      findings,
      'monitoring',
      /reads the log-based metric "hostpay\/confirm-seconds" but does not depends_on/,
    );
    assert.equal(findings.length, 1, formatFindings(findings));
  });

  it('reports a policy on a log-based metric nobody defines', async () => {
    const context = await prepare({
      edit: plant(
        'monitoring.tf',
        ['user/$', '{google_logging_metric.scheduler_failures.name}'].join(''),
        'user/hostpay/scheduler-failure',
      ),
    });
    has(
      await monitoringFindings(context),
      'monitoring',
      /"hostpay\/scheduler-failure", which no google_logging_metric here defines/,
    );
  });

  it('refuses a connection budget over the instance limit, and names the numbers', async () => {
    const over = await prepare({ tfvars: { max_instances: { executePayment: 20 } } });
    const findings = await conditionFindings(over);
    // 2 x (20+5+2+2+1) x 5 + 1 + 2 = 303 > 200 - 3.
    has(findings, 'conditions', /Connection budget exceeded: 2 x 150 .* = 303 > 197/);

    const small = await prepare({ tfvars: { database: { max_connections: 150 } } });
    has(await conditionFindings(small), 'conditions', /= 153 > 147/);

    // At the limit exactly: 153 <= 156 - 3.
    const exact = await prepare({ tfvars: { database: { max_connections: 156 } } });
    assert.deepEqual(await conditionFindings(exact), []);
  });

  for (const [label, url] of [
    ['sslmode=require', 'postgres://hostpay:PASSWORD@db.example.com:5432/hostpay?sslmode=require'],
    ['sslmode=prefer', 'postgres://hostpay:PASSWORD@db.example.com:5432/hostpay?sslmode=prefer'],
    ['sslmode=disable', 'postgres://hostpay:PASSWORD@db.example.com:5432/hostpay?sslmode=disable'],
    ['no sslmode', 'postgres://hostpay:PASSWORD@db.example.com:5432/hostpay'],
    [
      'verify-full overridden',
      'postgres://hostpay:PASSWORD@db.example.com/hostpay?sslmode=verify-full&sslmode=require',
    ],
    ['a password written in', 'postgres://hostpay:hunter2@db.example.com:5432/hostpay?sslmode=verify-full'],
  ] as const) {
    it(`refuses a database URL with ${label}`, async () => {
      const context = await prepare({ tfvars: { database: { mode: 'url', url_template: url } } });
      const findings = await conditionFindings(context);
      has(findings, 'conditions', /validation fails .*do not verify the server/);
      assert.ok(
        findings.every((f) => f.where.endsWith('var.database')),
        formatFindings(findings),
      );
    });
  }

  it('refuses adminApi behind internal-only ingress, and an existing instance without a connection name', async () => {
    const ingress = await prepare({ tfvars: { ingress: { adminApi: 'ALLOW_INTERNAL_ONLY' } } });
    has(await conditionFindings(ingress), 'conditions', /adminApi serves operators from outside the VPC/);
    const existing = await prepare({ tfvars: { database: { mode: 'existing' } } });
    has(
      await conditionFindings(existing),
      'conditions',
      /instance_connection_name \(project:region:instance\) is required/,
    );
  });

  it('gives the upstream a hostpay-side invoker: actAs and enqueue for its principals, invoker on executePayment only', async () => {
    const context = await prepare({});
    const invokers = (await context.evaluator.local('invokers')) as Record<
      string,
      { function: string; member: unknown }
    >;
    const upstream = Object.values(invokers).filter((g) =>
      String((g.member as { text?: string }).text ?? g.member).includes('upstream_invoker'),
    );
    assert.deepEqual(
      upstream.map((g) => g.function),
      ['executePayment'],
    );
    const enqueuers = (await context.evaluator.local('enqueuers')) as Record<
      string,
      { queue: string; member: unknown }
    >;
    assert.deepEqual(
      enqueuers['payment/serviceAccount:hostpay1-tasks@acme-payments-prod.iam.gserviceaccount.com'],
      {
        queue: 'payment',
        member: 'serviceAccount:hostpay1-tasks@acme-payments-prod.iam.gserviceaccount.com',
      },
    );
    const users = await context.evaluator.instances(
      context.module.resources.get('google_service_account_iam_member.upstream_invoker_user')!,
    );
    assert.deepEqual(
      users.map((u) => u.key),
      ['serviceAccount:hostpay1-tasks@acme-payments-prod.iam.gserviceaccount.com'],
    );
  });
});
