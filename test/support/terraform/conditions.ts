/**
 * Evaluates the module's own guards with the example variables: every variable validation and every
 * lifecycle precondition must hold. Conditions that cannot be known before apply are
 * left to Terraform.
 */
import type { Evaluator } from './eval.js';
import { evalMessage, isBlockBody } from './functions.js';
import type { Finding, TerraformModule } from './load.js';
import { describe, Unknown } from './value.js';

const blocks = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isBlockBody) : [];

export async function checkConditions(module: TerraformModule, evaluator: Evaluator): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [name, block] of module.variables) {
    const where = `${block.file}: ${block.address}`;
    for (const validation of blocks(block.body.validation)) {
      try {
        const value = await evaluator.variable(name);
        if (value instanceof Unknown) continue;
        const holds = await evaluator.raw(validation.condition);
        if (holds === false) {
          findings.push({
            check: 'conditions',
            where,
            message: `validation fails for ${describe(value)}: ${String(validation.error_message)}`,
          });
        }
      } catch (error) {
        findings.push({
          check: 'conditions',
          where,
          message: `validation cannot be evaluated: ${evalMessage(error)}`,
        });
      }
    }
  }
  for (const block of module.resources.values()) {
    const preconditions = blocks(block.body.lifecycle).flatMap((l) => blocks(l.precondition));
    if (preconditions.length === 0) continue;
    for (const { key, scope } of await evaluator.instances(block)) {
      const where = `${block.file}: ${key === undefined ? block.address : `${block.address}[${JSON.stringify(key)}]`}`;
      for (const precondition of preconditions) {
        try {
          if ((await evaluator.raw(precondition.condition, scope)) === false) {
            // The message may interpolate the values that broke the condition, as Terraform prints it.
            const message = await evaluator.raw(precondition.error_message, scope).catch(() => null);
            findings.push({
              check: 'conditions',
              where,
              message: `precondition fails: ${typeof message === 'string' ? message : String(precondition.error_message)}`,
            });
          }
        } catch (error) {
          findings.push({
            check: 'conditions',
            where,
            message: `precondition cannot be evaluated: ${evalMessage(error)}`,
          });
        }
      }
    }
  }
  return findings;
}
