import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  accessFindings,
  conditionFindings,
  type Finding,
  formatFindings,
  prepareTerraformCheck,
  schemaFindings,
  settingFindings,
  type TerraformCheckContext,
  wiringFindings,
} from '../../support/terraform/check.js';
import { readExportedNames } from '../../support/terraform/exports.js';
import { checkEntryPoints, type SettingRule } from '../../support/terraform/functions.js';

const FIXTURES = 'test/fixtures/terraform';
const SCHEMA_DIR = 'terraform/.schema';

// A settings table shaped like shared/config's SETTINGS, small enough to read beside the fixtures.
const SETTINGS: readonly SettingRule[] = [
  { env: 'DATABASE_URL', secret: true, required: true, functions: ['executePayment', 'retryPayment'] },
  { env: 'TASKS_PROJECT', secret: false, required: true, functions: ['executePayment'] },
  { env: 'TASKS_LOCATION', secret: false, required: true, functions: ['executePayment'] },
  { env: 'RETRY_QUEUE', secret: false, required: true, functions: ['executePayment'] },
  { env: 'RETRY_PAYMENT_URL', secret: false, required: true, functions: ['executePayment'] },
  {
    env: 'TASKS_INVOKER_SERVICE_ACCOUNT',
    secret: false,
    required: true,
    productionOnly: true,
    functions: ['executePayment'],
  },
  {
    env: 'MAX_ATTEMPTS',
    secret: false,
    required: false,
    default: '3',
    functions: ['executePayment', 'retryPayment'],
  },
];
const EXPORTS = new Set(['executePayment', 'retryPayment']);

async function allFindings(context: TerraformCheckContext): Promise<Finding[]> {
  return [
    ...context.findings,
    ...schemaFindings(context),
    ...checkEntryPoints(context.functions, EXPORTS, 'functions/index.ts'),
    ...settingFindings(context, SETTINGS),
    ...(await wiringFindings(context)),
    ...(await conditionFindings(context)),
    ...(await accessFindings(context)),
  ];
}

describe('terraform checks on fixtures', () => {
  it('accept the valid fixture without a finding', async () => {
    const findings = await allFindings(
      await prepareTerraformCheck(join(FIXTURES, 'valid'), { schemaDir: SCHEMA_DIR }),
    );
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  // Each broken fixture is valid/ with one mistake; the check named must report it in these words.
  const broken: { fixture: string; check: string; message: RegExp }[] = [
    {
      fixture: 'misspelled-argument',
      check: 'schema',
      message:
        /build_config\.runtme is not an argument or block of google_cloudfunctions2_function .*\(did you mean runtime\?\)/,
    },
    {
      fixture: 'unknown-resource-type',
      check: 'schema',
      message:
        /google_storage_bukcet is not a resource type of registry\.terraform\.io\/hashicorp\/google 6\.50\.0 \(did you mean google_storage_bucket\?\)/,
    },
    {
      fixture: 'missing-required-block',
      check: 'schema',
      message: /block replication is required by google_secret_manager_secret/,
    },
    {
      fixture: 'missing-secret',
      check: 'settings',
      message: /executePayment requires DATABASE_URL .* mount it with secret_environment_variables/,
    },
    {
      fixture: 'plain-env-secret',
      check: 'settings',
      message:
        /DATABASE_URL is a secret: it must come from Secret Manager \(secret_environment_variables\), not environment_variables/,
    },
    {
      fixture: 'unknown-entry-point',
      check: 'entry points',
      message:
        /entry point "retryPaymnt" is not exported by functions\/index\.ts .*\(did you mean retryPayment\?\)/,
    },
    { fixture: 'unpinned-provider', check: 'conventions', message: /provider google has no version pin/ },
    { fixture: 'public-invoker', check: 'access', message: /grants a role to allUsers/ },
    { fixture: 'project-wide-invoker', check: 'access', message: /grants roles\/run\.invoker project-wide/ },
    {
      fixture: 'queue-mismatch',
      check: 'wiring',
      message: /RETRY_QUEUE = "retries" names no google_cloud_tasks_queue \(declared: "retry"\)/,
    },
    {
      fixture: 'unreadable-secret',
      check: 'wiring',
      message:
        /mounts DATABASE_URL from google_secret_manager_secret\.database_url but its service account may not read it/,
    },
  ];
  for (const { fixture, check, message } of broken) {
    it(`reports ${fixture} through the ${check} check`, async () => {
      const context = await prepareTerraformCheck(join(FIXTURES, fixture), { schemaDir: SCHEMA_DIR });
      const findings = await allFindings(context);
      const ofCheck = findings.filter((f) => f.check === check);
      assert.ok(
        ofCheck.some((f) => message.test(f.message)),
        `expected a ${check} finding matching ${message}, got:\n${formatFindings(findings)}`,
      );
    });
  }

  it('reports a variable value its validation refuses', async () => {
    const context = await prepareTerraformCheck('terraform', {
      schemaDir: SCHEMA_DIR,
      tfvarsFile: join(FIXTURES, 'invalid.tfvars'),
    });
    const findings = await conditionFindings(context);
    const messages = findings.map((f) => `${f.where}: ${f.message}`);
    assert.ok(
      messages.some((m) => /var\.prefix: validation fails for "Hostpay_Prod"/.test(m)),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => /var\.admin_members: validation fails/.test(m)),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => /var\.setting_overrides: validation fails/.test(m)),
      messages.join('\n'),
    );
    assert.equal(findings.length, 3, messages.join('\n'));
  });
});

describe('entry point reader', () => {
  it('sees exported values through re-exports, renames and export *, and not types', async () => {
    const names = await readExportedNames(join(FIXTURES, 'entry', 'index.ts'));
    assert.deepEqual([...names].sort(), [
      'adminApi',
      'executePayment',
      'recordFailureHandler',
      'recoverPayments',
      'retryPayment',
    ]);
  });
});

describe('scripts/extract-provider-schema.mjs', () => {
  it('extracts arguments, required ones, read-only attributes and nested blocks from a generated provider', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostpay-schema-'));
    try {
      const out = join(dir, 'fake-provider.json');
      await promisify(execFile)('node', [
        'scripts/extract-provider-schema.mjs',
        join(FIXTURES, 'provider-package'),
        out,
      ]);
      const schema = JSON.parse(await readFile(out, 'utf8'));
      assert.deepEqual(schema, {
        source: '@cdktf/provider-fake@1.2.3',
        provider: 'registry.terraform.io/example/fake',
        provider_version: '0.9.0',
        provider_block: { arguments: ['project'] },
        resources: {
          fake_thing: {
            arguments: ['labels', 'name'],
            required: ['name'],
            computed: ['effective_labels', 'self_link'],
            blocks: {
              settings: {
                arguments: ['max_items', 'mode'],
                required: ['mode'],
                computed: ['fingerprint'],
                blocks: { rule: { arguments: ['pattern'], nesting: 'set' } },
                nesting: 'list',
                min_items: 1,
              },
            },
          },
        },
        data_sources: { fake_thing: { arguments: ['name'], required: ['name'], computed: ['created'] } },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
