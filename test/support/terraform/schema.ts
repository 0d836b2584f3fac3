/**
 * Checks a parsed module against provider schemas extracted from the prebuilt cdktf providers by
 * scripts/extract-provider-schema.mjs: every resource type, argument and nested block
 * exists, required ones are present, and the providers are pinned.
 */
import { readFile } from 'node:fs/promises';
import type { Finding, TerraformBlock, TerraformModule } from './load.js';

export interface SchemaBlock {
  readonly arguments: readonly string[];
  readonly required?: readonly string[];
  readonly computed?: readonly string[];
  readonly blocks?: Readonly<Record<string, SchemaBlock>>;
  readonly nesting?: string;
  readonly min_items?: number;
}

export interface ProviderSchema {
  readonly source: string;
  readonly provider: string;
  readonly provider_version: string;
  readonly provider_block: SchemaBlock | null;
  readonly resources: Readonly<Record<string, SchemaBlock>>;
  readonly data_sources: Readonly<Record<string, SchemaBlock>>;
}

/** Provider local name (`google`) => its schema. */
export type ProviderSchemas = Readonly<Record<string, ProviderSchema>>;

export async function readProviderSchema(path: string): Promise<ProviderSchema> {
  return JSON.parse(await readFile(path, 'utf8')) as ProviderSchema;
}

const RESOURCE_META = new Set([
  'count',
  'for_each',
  'depends_on',
  'lifecycle',
  'provider',
  'provisioner',
  'connection',
]);
const DATA_META = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider']);
const LIFECYCLE = new Set([
  'create_before_destroy',
  'prevent_destroy',
  'ignore_changes',
  'replace_triggered_by',
  'precondition',
  'postcondition',
]);
const DYNAMIC = new Set(['for_each', 'iterator', 'labels', 'content']);

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function suggest(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

const providerOf = (type: string): string => type.split('_')[0] ?? type;

function blocksOf(value: unknown): Record<string, unknown>[] | undefined {
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))
  ) {
    return undefined;
  }
  return value as Record<string, unknown>[];
}

/** Checks one (nested) block body against its schema, recursively. */
function checkBody(
  body: Record<string, unknown>,
  schema: SchemaBlock,
  meta: ReadonlySet<string>,
  context: { where: string; path: string; owner: string },
  findings: Finding[],
): void {
  const args = new Set(schema.arguments);
  const nested = schema.blocks ?? {};
  const known = [...args, ...Object.keys(nested)];
  const at = (name: string) => (context.path === '' ? name : `${context.path}.${name}`);
  const report = (message: string) => findings.push({ check: 'schema', where: context.where, message });

  for (const [name, value] of Object.entries(body)) {
    if (meta.has(name)) {
      if (name === 'lifecycle') {
        for (const lifecycle of blocksOf(value) ?? []) {
          for (const key of Object.keys(lifecycle)) {
            if (!LIFECYCLE.has(key)) report(`${at(`lifecycle.${key}`)} is not a lifecycle argument`);
          }
        }
      }
      continue;
    }
    if (name === 'dynamic') {
      for (const [blockName, dynamics] of Object.entries(value as Record<string, unknown>)) {
        const blockSchema = nested[blockName];
        if (!blockSchema) {
          report(
            `dynamic "${blockName}": ${at(blockName)} is not a block of ${context.owner}${suggest(blockName, Object.keys(nested))}`,
          );
          continue;
        }
        for (const dynamic of blocksOf(dynamics) ?? []) {
          for (const key of Object.keys(dynamic)) {
            if (!DYNAMIC.has(key))
              report(`dynamic "${blockName}": ${key} is not an argument of a dynamic block`);
          }
          if (dynamic.for_each === undefined) report(`dynamic "${blockName}" has no for_each`);
          for (const content of blocksOf(dynamic.content) ?? []) {
            checkBody(content, blockSchema, new Set(), { ...context, path: at(blockName) }, findings);
          }
        }
      }
      continue;
    }
    const blockSchema = nested[name];
    if (blockSchema) {
      const bodies = blocksOf(value);
      if (!bodies) {
        report(`${at(name)} is a block of ${context.owner}: write ${name} { ... }, not ${name} = ...`);
        continue;
      }
      for (const inner of bodies)
        checkBody(inner, blockSchema, new Set(), { ...context, path: at(name) }, findings);
      continue;
    }
    if (args.has(name)) continue;
    if ((schema.computed ?? []).includes(name)) {
      report(`${at(name)} is read-only in ${context.owner}: it cannot be set`);
      continue;
    }
    report(`${at(name)} is not an argument or block of ${context.owner}${suggest(name, known)}`);
  }

  for (const name of schema.required ?? []) {
    if (!(name in body)) report(`${at(name)} is required by ${context.owner} but not set`);
  }
  const dynamics = (body.dynamic ?? {}) as Record<string, unknown>;
  for (const [name, blockSchema] of Object.entries(nested)) {
    if ((blockSchema.min_items ?? 0) > 0 && !(name in body) && !(name in dynamics)) {
      report(`block ${at(name)} is required by ${context.owner} but missing`);
    }
  }
}

function checkBlock(
  block: TerraformBlock,
  type: string,
  kind: 'resources' | 'data_sources',
  schemas: ProviderSchemas,
  findings: Finding[],
): void {
  const where = `${block.file}: ${block.address}`;
  const provider = schemas[providerOf(type)];
  const label = kind === 'resources' ? 'resource type' : 'data source';
  if (!provider) {
    findings.push({
      check: 'schema',
      where,
      message: `no provider schema for ${type} (provider "${providerOf(type)}")`,
    });
    return;
  }
  const schema = provider[kind][type];
  if (!schema) {
    findings.push({
      check: 'schema',
      where,
      message: `${type} is not a ${label} of ${provider.provider} ${provider.provider_version}${suggest(type, Object.keys(provider[kind]))}`,
    });
    return;
  }
  const owner = `${type} (${provider.provider} ${provider.provider_version})`;
  checkBody(
    block.body,
    schema,
    kind === 'resources' ? RESOURCE_META : DATA_META,
    { where, path: '', owner },
    findings,
  );
}

/** Resource types, data sources, arguments and nested blocks against the provider schemas. */
export function checkSchema(module: TerraformModule, schemas: ProviderSchemas): Finding[] {
  const findings: Finding[] = [];
  for (const block of module.resources.values()) {
    checkBlock(block, block.address.split('.')[0]!, 'resources', schemas, findings);
  }
  for (const [typeName, block] of module.data)
    checkBlock(block, typeName.split('.')[0]!, 'data_sources', schemas, findings);
  for (const block of module.providers) {
    const name = block.address.slice('provider.'.length);
    const schema = schemas[name]?.provider_block;
    if (!schema) {
      findings.push({
        check: 'schema',
        where: `${block.file}: ${block.address}`,
        message: `no schema for provider ${name}`,
      });
      continue;
    }
    const owner = `provider ${name}`;
    checkBody(
      block.body,
      schema,
      new Set(['alias']),
      { where: `${block.file}: ${block.address}`, path: '', owner },
      findings,
    );
  }
  return findings;
}

/**
 * Conventions: every provider a resource uses is pinned in required_providers with
 * its source and a version; variables have a description, a type and a validation; outputs have a description.
 */
export function checkConventions(module: TerraformModule, schemas: ProviderSchemas): Finding[] {
  const findings: Finding[] = [];
  const required: Record<string, { source?: string; version?: string }> = {};
  for (const block of module.terraform) {
    for (const providers of (block.body.required_providers ?? []) as Record<string, unknown>[]) {
      Object.assign(required, providers);
    }
  }
  const used = new Set(
    [...module.resources.keys(), ...module.data.keys()].map((address) => providerOf(address.split('.')[0]!)),
  );
  for (const provider of [...used].sort()) {
    const pin = required[provider];
    const where = 'terraform.required_providers';
    if (!pin) {
      findings.push({
        check: 'conventions',
        where,
        message: `provider ${provider} is used but not in required_providers`,
      });
      continue;
    }
    const expected = schemas[provider]?.provider.replace(/^registry\.terraform\.io\//, '');
    if (expected && pin.source !== expected) {
      findings.push({
        check: 'conventions',
        where,
        message: `provider ${provider} must have source "${expected}"`,
      });
    }
    if (!pin.version)
      findings.push({ check: 'conventions', where, message: `provider ${provider} has no version pin` });
    const schemaVersion = schemas[provider]?.provider_version;
    if (pin.version && schemaVersion && !pin.version.includes(schemaVersion)) {
      findings.push({
        check: 'conventions',
        where,
        message: `provider ${provider} is pinned to "${pin.version}" but the checked schema is ${schemaVersion}: re-run scripts/extract-provider-schema.mjs`,
      });
    }
  }
  for (const block of module.variables.values()) {
    for (const key of ['description', 'type', 'validation']) {
      if (block.body[key] === undefined) {
        findings.push({
          check: 'conventions',
          where: `${block.file}: ${block.address}`,
          message: `variable has no ${key}`,
        });
      }
    }
  }
  for (const block of module.outputs.values()) {
    if (block.body.description === undefined) {
      findings.push({
        check: 'conventions',
        where: `${block.file}: ${block.address}`,
        message: 'output has no description',
      });
    }
  }
  return findings;
}
