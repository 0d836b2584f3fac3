/** No public invoker: no allUsers or allAuthenticatedUsers, no project-wide invoker role. */
import type { Evaluator } from './eval.js';
import { evalMessage, isBlockBody } from './functions.js';
import type { Finding, TerraformModule } from './load.js';

const PUBLIC = /\b(allUsers|allAuthenticatedUsers)\b/;
const INVOKER_ROLES = new Set(['roles/run.invoker', 'roles/cloudfunctions.invoker']);

function scanForPublic(value: unknown, path: string, where: string, findings: Finding[]): void {
  if (typeof value === 'string') {
    const match = PUBLIC.exec(value);
    if (match)
      findings.push({
        check: 'access',
        where,
        message: `${path} mentions ${match[1]}: nothing in hostpay is public`,
      });
  } else if (Array.isArray(value))
    for (const [i, v] of value.entries()) scanForPublic(v, `${path}[${i}]`, where, findings);
  else if (isBlockBody(value))
    for (const [k, v] of Object.entries(value))
      scanForPublic(v, path === '' ? k : `${path}.${k}`, where, findings);
}

/**
 * No public principal anywhere (literal or evaluated), and invoker roles only on a single service,
 * never project-wide.
 */
export async function checkPublicAccess(
  module: TerraformModule,
  evaluator: Evaluator,
  extraFiles: Readonly<Record<string, unknown>> = {},
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [file, parsed] of [...module.files, ...Object.entries(extraFiles)])
    scanForPublic(parsed, '', file, findings);
  for (const block of module.resources.values()) {
    const type = block.address.split('.')[0]!;
    if (!/_iam_(member|binding|policy)$/.test(type)) continue;
    let instances: Awaited<ReturnType<Evaluator['instances']>>;
    try {
      instances = await evaluator.instances(block);
    } catch (error) {
      findings.push({
        check: 'access',
        where: `${block.file}: ${block.address}`,
        message: evalMessage(error),
      });
      continue;
    }
    for (const { key, scope } of instances) {
      const where = `${block.file}: ${key === undefined ? block.address : `${block.address}[${JSON.stringify(key)}]`}`;
      try {
        const member = block.body.member === undefined ? null : await evaluator.raw(block.body.member, scope);
        const members =
          block.body.members === undefined ? [] : await evaluator.raw(block.body.members, scope);
        for (const m of [member, ...(Array.isArray(members) ? members : [members])]) {
          if (typeof m === 'string' && PUBLIC.test(m))
            findings.push({ check: 'access', where, message: `grants a role to ${m}` });
        }
        const role = await evaluator.raw(block.body.role ?? null, scope);
        if (
          typeof role === 'string' &&
          INVOKER_ROLES.has(role) &&
          /^google_(project|folder|organization)_iam_/.test(type)
        ) {
          findings.push({
            check: 'access',
            where,
            message: `grants ${role} project-wide: grant it on one function's service`,
          });
        }
      } catch (error) {
        findings.push({ check: 'access', where, message: evalMessage(error) });
      }
    }
  }
  return findings;
}
