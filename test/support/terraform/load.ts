/** Parses a Terraform module with `@cdktf/hcl2json` for the offline checks. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** One problem found by a check: where, and what is wrong. */
export interface Finding {
  readonly check: string;
  readonly where: string;
  readonly message: string;
}

/** A resource, data source, variable, output or provider block as hcl2json renders its body. */
export interface TerraformBlock {
  readonly file: string;
  /** `type.name`, `data.type.name`, `var.name`, `output.name`, `provider.name`. */
  readonly address: string;
  readonly body: Record<string, unknown>;
}

export interface TerraformModule {
  readonly dir: string;
  /** Every parsed file, by file name, as hcl2json returned it. */
  readonly files: ReadonlyMap<string, Record<string, unknown>>;
  /** Resources by `type.name`. */
  readonly resources: ReadonlyMap<string, TerraformBlock>;
  /** Data sources by `type.name`. */
  readonly data: ReadonlyMap<string, TerraformBlock>;
  /** Variables by name. */
  readonly variables: ReadonlyMap<string, TerraformBlock>;
  /** Outputs by name. */
  readonly outputs: ReadonlyMap<string, TerraformBlock>;
  readonly locals: ReadonlyMap<string, { readonly file: string; readonly value: unknown }>;
  readonly providers: readonly TerraformBlock[];
  readonly terraform: readonly TerraformBlock[];
}

const firstBody = (value: unknown): Record<string, unknown> =>
  (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;

/** Parses sources given as `{ fileName: contents }`; parse errors and duplicates come back as findings. */
export async function parseTerraformSources(
  dir: string,
  sources: Readonly<Record<string, string>>,
): Promise<{ module: TerraformModule; findings: Finding[] }> {
  const findings: Finding[] = [];
  const files = new Map<string, Record<string, unknown>>();
  const resources = new Map<string, TerraformBlock>();
  const data = new Map<string, TerraformBlock>();
  const variables = new Map<string, TerraformBlock>();
  const outputs = new Map<string, TerraformBlock>();
  const locals = new Map<string, { file: string; value: unknown }>();
  const providers: TerraformBlock[] = [];
  const terraform: TerraformBlock[] = [];

  const add = (map: Map<string, TerraformBlock>, block: TerraformBlock, key = block.address) => {
    const existing = map.get(key);
    if (existing) {
      findings.push({
        check: 'parse',
        where: block.file,
        message: `${block.address} is declared twice (also in ${existing.file})`,
      });
    }
    map.set(key, block);
  };

  for (const file of Object.keys(sources).sort()) {
    let parsed: Record<string, unknown>;
    try {
      parsed = await parse(file, sources[file] ?? '');
    } catch (error) {
      findings.push({ check: 'parse', where: file, message: (error as Error).message });
      continue;
    }
    files.set(file, parsed);
    for (const kind of ['resource', 'data'] as const) {
      const byType = (parsed[kind] ?? {}) as Record<string, Record<string, unknown>>;
      for (const [type, byName] of Object.entries(byType)) {
        for (const [name, body] of Object.entries(byName)) {
          const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
          add(kind === 'data' ? data : resources, { file, address, body: firstBody(body) });
        }
      }
    }
    for (const [name, body] of Object.entries((parsed.variable ?? {}) as Record<string, unknown>)) {
      add(variables, { file, address: `var.${name}`, body: firstBody(body) }, name);
    }
    for (const [name, body] of Object.entries((parsed.output ?? {}) as Record<string, unknown>)) {
      add(outputs, { file, address: `output.${name}`, body: firstBody(body) }, name);
    }
    for (const block of (parsed.locals ?? []) as Record<string, unknown>[]) {
      for (const [name, value] of Object.entries(block)) {
        const existing = locals.get(name);
        if (existing) {
          findings.push({
            check: 'parse',
            where: file,
            message: `local.${name} is declared twice (also in ${existing.file})`,
          });
        }
        locals.set(name, { file, value });
      }
    }
    for (const [name, bodies] of Object.entries((parsed.provider ?? {}) as Record<string, unknown[]>)) {
      for (const body of bodies)
        providers.push({ file, address: `provider.${name}`, body: body as Record<string, unknown> });
    }
    for (const body of (parsed.terraform ?? []) as Record<string, unknown>[]) {
      terraform.push({ file, address: 'terraform', body });
    }
  }
  // Data sources are looked up by `type.name` like resources; the address keeps the data. prefix.
  const dataByTypeName = new Map([...data.values()].map((b) => [b.address.slice('data.'.length), b]));
  return {
    module: { dir, files, resources, data: dataByTypeName, variables, outputs, locals, providers, terraform },
    findings,
  };
}

/** Reads and parses every `.tf` file of a directory (not recursive: one module). */
export async function loadTerraformModule(
  dir: string,
): Promise<{ module: TerraformModule; findings: Finding[] }> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.tf')).sort();
  const sources: Record<string, string> = {};
  for (const name of names) sources[name] = await readFile(join(dir, name), 'utf8');
  return parseTerraformSources(dir, sources);
}

/** Variable values from a `.tfvars` file (literal values, as Terraform requires there). */
export async function loadTfvars(path: string): Promise<Record<string, unknown>> {
  return parse(path, await readFile(path, 'utf8'));
}
