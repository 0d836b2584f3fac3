import assert from 'node:assert/strict';
import { FUNCTION_NAMES, SETTINGS } from '../../../shared/config/index.js';
import {
  accessFindings,
  conditionFindings,
  entryPointFindings,
  formatFindings,
  prepareTerraformCheck,
  schemaFindings,
  settingFindings,
  type TerraformCheckContext,
  terraformFmtCheck,
  wiringFindings,
} from '../../support/terraform/check.js';
import { entrySourceFile } from '../../support/terraform/exports.js';

// The real terraform/ against the real code (docs/deploy.md, "What was checked offline and what needs a real project"), evaluated with terraform.tfvars.example.
describe('terraform/', () => {
  let context: TerraformCheckContext;
  before(async () => {
    context = await prepareTerraformCheck('terraform', { schemaDir: 'terraform/.schema' });
  });

  it('parses and evaluates every .tf file', () => {
    assert.deepEqual(context.findings, [], formatFindings(context.findings));
    assert.ok(context.module.files.size >= 10);
  });

  it('uses only resource types, arguments and blocks of the pinned provider schemas', () => {
    const findings = schemaFindings(context);
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('deploys the five functions on nodejs22', () => {
    const deployed = context.functions.map((f) => [f.entryPoint, f.runtime]);
    assert.deepEqual(deployed.sort(), FUNCTION_NAMES.map((name) => [name, 'nodejs22']).sort());
  });

  it('points every function at an entry point the bundle exports', async () => {
    const findings = await entryPointFindings(context, await entrySourceFile('.'));
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('gives every function the settings and secrets shared/config requires, and secrets only from Secret Manager', () => {
    const findings = settingFindings(context, SETTINGS);
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('keeps settings.tf a mirror of SETTINGS: who reads what, and a secret for every secret setting', async () => {
    const table = (await context.evaluator.local('setting_functions')) as Record<string, string[]>;
    const mirrored = Object.fromEntries(Object.entries(table).map(([name, fns]) => [name, [...fns].sort()]));
    const expected = Object.fromEntries(SETTINGS.map((s) => [s.env, [...s.functions].sort()]));
    assert.deepEqual(mirrored, expected);
    const secrets = Object.keys((await context.evaluator.local('secrets')) as Record<string, string>).sort();
    assert.deepEqual(
      secrets,
      SETTINGS.filter((s) => s.secret)
        .map((s) => s.env)
        .sort(),
    );
  });

  it('names queues and function URLs as the code reads them, and allows every task the code creates', async () => {
    const findings = await wiringFindings(context);
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('holds its own variable validations and preconditions with the example variables', async () => {
    const findings = await conditionFindings(context);
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('grants no public invoker and no project-wide invoker', async () => {
    const findings = await accessFindings(context);
    assert.deepEqual(findings, [], formatFindings(findings));
  });

  it('is formatted (terraform fmt -check)', function () {
    const result = terraformFmtCheck('terraform');
    if ('skipped' in result) {
      console.log(`      ${result.skipped}`);
      this.skip();
    }
    assert.deepEqual(result.findings, [], formatFindings(result.findings));
  });
});
