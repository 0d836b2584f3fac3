import assert from 'node:assert/strict';
import { Evaluator } from '../../support/terraform/eval.js';
import { parseTerraformSources } from '../../support/terraform/load.js';
import { ResourceRef, TerraformEvalError, Unknown, type Value } from '../../support/terraform/value.js';

const MODULE = `
variable "prefix" {
  type    = string
  default = "hp"
}
variable "region" {
  type = string
}
variable "upstream" {
  type = object({
    url     = string
    extra   = optional(map(string), {})
    enqueue = optional(list(string), [])
    failed  = optional(string)
  })
}
locals {
  prefix  = "\${var.prefix}-"
  names   = { retry = "\${local.prefix}retry", failure = "\${local.prefix}failure" }
  fns     = ["b", "a", "c"]
  escaped = "a$\${b}"
  picked  = { for k, v in local.names : k => upper(v) if k != "failure" }
  grouped = { for f in local.fns : (f == "a" ? "first" : "rest") => f... }
  merged  = merge([for f in local.fns : { (f) = length(f) }]...)
  cycle_a = local.cycle_b
  cycle_b = local.cycle_a
}
resource "google_service_account" "fn" {
  for_each   = toset(local.fns)
  account_id = "\${local.prefix}\${each.key}"
}
resource "google_cloud_tasks_queue" "q" {
  for_each = local.names
  name     = each.value
  location = var.region
}
`;

async function evaluator(variables: Record<string, unknown> = {}): Promise<Evaluator> {
  const { module, findings } = await parseTerraformSources('/fixture', { 'main.tf': MODULE });
  assert.deepEqual(findings, []);
  return new Evaluator(module, variables);
}

describe('terraform evaluator', () => {
  const known: [string, Value][] = [
    ['local.prefix', 'hp-'],
    ['local.names.retry', 'hp-retry'],
    ['local.names["failure"]', 'hp-failure'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform escape, not a JavaScript template
    ['local.escaped', 'a${b}'],
    ['local.picked', { retry: 'HP-RETRY' }],
    ['local.grouped', { first: ['a'], rest: ['b', 'c'] }],
    ['local.merged', { a: 1, b: 1, c: 1 }],
    ['keys(local.names)', ['failure', 'retry']],
    ['[for s in toset(local.fns) : s]', ['a', 'b', 'c']],
    ['contains(local.fns, "c") && !contains(local.fns, "z")', true],
    ['length(var.upstream.extra) == 0 ? null : "set"', null],
    ['var.upstream.enqueue', []],
    ['var.upstream.failed == null', true],
    ['lookup({ a = 1 }, "b", 2) + 3 * 2', 8],
    ['jsonencode({ b = "2", a = 1 })', '{"a":1,"b":"2"}'],
    ['can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))', true],
    ['can(regex("^[0-9]+$", var.region))', false],
    ['google_cloud_tasks_queue.q["retry"].name', 'hp-retry'],
    ['[for q in google_cloud_tasks_queue.q : q.location]', ['europe-west1', 'europe-west1']],
    ['"\\\\s and \\"quotes\\""', '\\s and "quotes"'],
  ];
  for (const [expression, expected] of known) {
    it(`evaluates ${expression}`, async () => {
      const e = await evaluator({ region: 'europe-west1', upstream: { url: 'https://x' } });
      assert.deepEqual(await e.expression(expression), expected);
    });
  }

  it('keeps computed attributes unknown but comparable by what they refer to', async () => {
    const e = await evaluator({ region: 'europe-west1', upstream: { url: 'https://x' } });
    const member = await e.expression('google_service_account.fn["a"].member');
    assert.ok(member instanceof Unknown);
    assert.equal(member.text, 'google_service_account.fn["a"].member');
    assert.equal(
      await e.expression('google_service_account.fn["a"].email == google_service_account.fn["a"].email'),
      true,
    );
    assert.ok((await e.expression('google_service_account.fn["a"].email == "x"')) instanceof Unknown);
    assert.equal(await e.expression('google_service_account.fn["a"].email != null'), true);
    const interpolation = 'serviceAccount:$' + '{google_service_account.fn["b"].email}';
    const template = await e.expression(`"${interpolation}"`);
    assert.ok(template instanceof Unknown);
    assert.equal(template.text, interpolation);
  });

  it('treats a variable without a value or default as unknown', async () => {
    const e = await evaluator();
    assert.ok((await e.expression('var.region')) instanceof Unknown);
  });

  it('refers to one resource instance by its for_each key', async () => {
    const e = await evaluator({ region: 'europe-west1', upstream: { url: 'https://x' } });
    const ref = await e.expression('google_service_account.fn["c"]');
    assert.ok(ref instanceof ResourceRef);
    assert.equal(ref.instanceAddress, 'google_service_account.fn["c"]');
  });

  const failures: [string, RegExp][] = [
    ['local.names["retri"]', /no key "retri"/],
    ['local.missing', /local\.missing is not declared/],
    ['var.missing', /var\.missing is not declared/],
    ['local.cycle_a', /refers to itself/],
    ['google_cloud_tasks_queue.q["notices"].name', /has no instance "notices"/],
    ['google_cloud_tasks_queue.q.name', /several instances/],
    ['google_storage_bucket.none.name', /google_storage_bucket\.none is not declared/],
  ];
  for (const [expression, message] of failures) {
    it(`fails as terraform plan would on ${expression}`, async () => {
      const e = await evaluator({ region: 'europe-west1', upstream: { url: 'https://x' } });
      await assert.rejects(e.expression(expression), (error: unknown) => {
        assert.ok(error instanceof TerraformEvalError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
