/**
 * Alert policies and dashboards that read a log-based metric (logging.googleapis.com/user/NAME): the
 * metric must be a google_logging_metric of this module, and the policy must `depends_on` it. Cloud
 * Monitoring refuses a policy whose metric it does not know yet, so without the explicit dependency the
 * first apply can create the policy before the metric and stop (docs/deploy.md, "Alerts").
 */
import type { Evaluator } from './eval.js';
import { evalMessage, instancesOf, isBlockBody } from './functions.js';
import type { Finding, TerraformBlock, TerraformModule } from './load.js';
import { describe, Unknown, type Value } from './value.js';

const USER_METRIC = /logging\.googleapis\.com\/user\/([A-Za-z0-9_./-]+?)(?=\\?"|\s|$)/g;

const textOf = (v: Value): string => (typeof v === 'string' ? v : v instanceof Unknown ? v.text : '');

/** Addresses named in `depends_on`, without the `${...}` hcl2json wraps them in. */
export function dependsOn(block: TerraformBlock): string[] {
  const list = Array.isArray(block.body.depends_on) ? block.body.depends_on : [];
  return list
    .filter((d): d is string => typeof d === 'string')
    .map((d) => d.replace(/^\$\{(.*)\}$/s, '$1').trim());
}

/** Every string under `value` whose key is `filter` (condition filters, dashboard queries). */
function collectFilters(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectFilters(v, out);
  else if (isBlockBody(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'filter' && typeof v === 'string') out.push(v);
      else collectFilters(v, out);
    }
  }
}

export async function checkMonitoring(module: TerraformModule, evaluator: Evaluator): Promise<Finding[]> {
  const findings: Finding[] = [];
  const metrics = new Map<string, string>();
  try {
    for (const { block, scope } of await instancesOf(module, evaluator, 'google_logging_metric')) {
      const name = await evaluator.raw(block.body.name, scope);
      if (typeof name === 'string') metrics.set(name, block.address);
    }
  } catch (error) {
    return [{ check: 'monitoring', where: module.dir, message: evalMessage(error) }];
  }

  const checkUse = (block: TerraformBlock, where: string, filters: readonly string[]) => {
    const needed = new Set<string>();
    for (const filter of filters) for (const m of filter.matchAll(USER_METRIC)) needed.add(m[1]!);
    const deps = dependsOn(block);
    for (const name of [...needed].sort()) {
      const address = metrics.get(name);
      if (!address) {
        const known = [...metrics.keys()].sort().join(', ') || 'none';
        findings.push({
          check: 'monitoring',
          where,
          message: `reads the log-based metric "${name}", which no google_logging_metric here defines (defined: ${known})`,
        });
      } else if (!deps.includes(address)) {
        findings.push({
          check: 'monitoring',
          where,
          message: `reads the log-based metric "${name}" but does not depends_on ${address}: the first apply can create it before Monitoring knows the metric, and fail`,
        });
      }
    }
  };

  for (const type of ['google_monitoring_alert_policy', 'google_monitoring_dashboard']) {
    let instances: Awaited<ReturnType<typeof instancesOf>>;
    try {
      instances = await instancesOf(module, evaluator, type);
    } catch (error) {
      findings.push({ check: 'monitoring', where: type, message: evalMessage(error) });
      continue;
    }
    for (const { address, block, scope } of instances) {
      const where = `${block.file}: ${address}`;
      try {
        const filters: string[] = [];
        if (type === 'google_monitoring_alert_policy') {
          const raw: string[] = [];
          collectFilters(block.body.conditions, raw);
          for (const f of raw) filters.push(textOf(await evaluator.raw(f, scope)));
        } else {
          const json = await evaluator.raw(block.body.dashboard_json, scope);
          if (typeof json !== 'string') {
            findings.push({
              check: 'monitoring',
              where,
              message: `dashboard_json is not known before apply (${describe(json)})`,
            });
            continue;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(json);
          } catch (error) {
            findings.push({
              check: 'monitoring',
              where,
              message: `dashboard_json is not JSON: ${(error as Error).message}`,
            });
            continue;
          }
          collectFilters(parsed, filters);
          if (filters.length === 0)
            findings.push({ check: 'monitoring', where, message: 'dashboard has no chart with a filter' });
        }
        checkUse(block, where, filters);
      } catch (error) {
        findings.push({ check: 'monitoring', where, message: evalMessage(error) });
      }
    }
  }
  return findings;
}
