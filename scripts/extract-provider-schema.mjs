#!/usr/bin/env node
// Extracts the argument and nested-block names of every resource type, data source and the provider
// block from an installed prebuilt cdktf provider (`@cdktf/provider-google`, `@cdktf/provider-archive`)
// into a small JSON file that the offline Terraform checks read (docs/architecture.md, "Platform facts").
//
// The provider packages are ~300 MB, so they are never a dependency of this repo. Install one outside it:
//   mkdir -p /tmp/pg && cd /tmp/pg && npm init -y && npm install --ignore-scripts @cdktf/provider-google
// then, from the repo root:
//   node scripts/extract-provider-schema.mjs /tmp/pg/node_modules/@cdktf/provider-google \
//     terraform/.schema/google-provider.json
//
// Sources: each generated `*ToHclTerraform` function lists every settable argument of one (nested)
// block, `isBlock` telling an argument from a nested block; the matching `.d.ts` interface marks the
// required ones (no `?`); the generated classes keep a `// name - computed: true, optional: false`
// comment for each read-only attribute.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PRIMITIVE_MAPPERS = new Set(['string', 'number', 'boolean', 'numberList', 'stringList', 'anyList']);

/** Every file with `ext` of one generated resource directory, concatenated (large types split into index-structs/). */
function readResourceSources(dir, ext) {
  const files = [];
  const walk = (path) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(ext) && (ext !== '.js' || !name.endsWith('.d.js'))) files.push(full);
    }
  };
  walk(dir);
  return files.map((file) => readFileSync(file, 'utf8')).join('\n');
}

/** The body of a brace-delimited block starting at `start` (index of its opening `{`). */
function blockBody(source, start) {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return source.slice(start + 1, i);
    }
  }
  throw new Error(`unbalanced braces at ${start}`);
}

/** Entries of an `attrs = { name: { value, isBlock, type, storageClassType } }` literal. */
function readAttrEntries(body) {
  const entries = [];
  const entry =
    /^\s+([a-z_][a-z0-9_]*): \{\n\s+value: (.+),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",/gm;
  for (const match of body.matchAll(entry)) {
    const [, name, value, isBlock, type] = match;
    const property = /(?:struct\.|this\._)(\w+)(?:\.internalValue)?\)*$/.exec(value)?.[1];
    let child;
    if (isBlock === 'true') {
      const refs = [...value.matchAll(/([A-Za-z]\w*?)ToHclTerraform/g)].map((m) => m[1]);
      child = refs.find((ref) => !PRIMITIVE_MAPPERS.has(ref));
      if (!child) throw new Error(`nested block ${name} has no struct mapper: ${value}`);
    }
    if (!property) throw new Error(`cannot tell which property ${name} maps: ${value}`);
    entries.push({ name, property, isBlock: isBlock === 'true', type, child });
  }
  return entries;
}

/** Read-only attribute names, from `// name - computed: true, optional: false, required: false` comments. */
function readComputed(body) {
  const comment = /\/\/ ([a-z_][a-z0-9_]*) - computed: true, optional: false, required: false/g;
  return [...new Set([...body.matchAll(comment)].map((m) => m[1]))];
}

/** `interface name -> set of required (no `?`) property names` from the generated declarations. */
function requiredProperties(declarations) {
  const interfaces = new Map();
  // Doc comments hold unbalanced braces, so an interface ends at the first line that is just `}`.
  for (const match of declarations.matchAll(
    /^export interface (\w+)(?: extends [^{]+)? \{\n([\s\S]*?)^\}$/gm,
  )) {
    const body = match[2];
    const required = [...body.matchAll(/^\s+readonly (\w+): /gm)].map((m) => m[1]);
    interfaces.set(match[1], new Set(required));
  }
  return interfaces;
}

function classBodies(source) {
  const bodies = new Map();
  for (const match of source.matchAll(/^class (\w+) extends cdktf\.(\w+) \{/gm)) {
    const open = match.index + match[0].length - 1;
    bodies.set(match[1], { kind: match[2], body: blockBody(source, open) });
  }
  return bodies;
}

function structFunctions(source) {
  const functions = new Map();
  for (const match of source.matchAll(/^function (\w+)ToHclTerraform\(struct\) \{/gm)) {
    const open = match.index + match[0].length - 1;
    functions.set(match[1], blockBody(source, open));
  }
  return functions;
}

const upperFirst = (name) => name.charAt(0).toUpperCase() + name.slice(1);

/** Builds `{ arguments, required, computed, blocks }` for one block, recursing into nested blocks. */
function buildBlock(entries, required, computed, source, seen) {
  const block = { arguments: [], required: [], computed: [...computed], blocks: {} };
  for (const entry of entries) {
    if (entry.isBlock) {
      if (seen.has(entry.child)) throw new Error(`recursive block ${entry.child}`);
      const body = source.functions.get(entry.child);
      if (body === undefined) throw new Error(`missing struct mapper ${entry.child}`);
      const struct = upperFirst(entry.child);
      const childClass = source.classes.get(`${struct}OutputReference`);
      const child = buildBlock(
        readAttrEntries(body),
        source.interfaces.get(struct) ?? new Set(),
        childClass ? readComputed(childClass.body) : [],
        source,
        new Set([...seen, entry.child]),
      );
      child.nesting = entry.type;
      if (required.has(entry.property)) child.min_items = 1;
      block.blocks[entry.name] = child;
    } else {
      block.arguments.push(entry.name);
      if (required.has(entry.property)) block.required.push(entry.name);
    }
  }
  block.arguments.sort();
  block.required.sort();
  block.computed.sort();
  if (block.required.length === 0) delete block.required;
  if (block.computed.length === 0) delete block.computed;
  if (Object.keys(block.blocks).length === 0) delete block.blocks;
  return block;
}

function extractDirectory(dir) {
  const code = readResourceSources(dir, '.js');
  const source = {
    classes: classBodies(code),
    functions: structFunctions(code),
    interfaces: requiredProperties(readResourceSources(dir, '.d.ts')),
  };
  const results = [];
  for (const match of code.matchAll(/^(\w+)\.tfResourceType = "([\w-]+)";/gm)) {
    const [, className, type] = match;
    const cls = source.classes.get(className);
    if (!cls) throw new Error(`class ${className} for ${type} not found in ${dir}`);
    const start = cls.body.indexOf('synthesizeHclAttributes() {');
    if (start < 0) throw new Error(`${className} has no synthesizeHclAttributes`);
    const attrs = blockBody(cls.body, cls.body.indexOf('{', start));
    const required = source.interfaces.get(`${className}Config`) ?? new Set();
    const block = buildBlock(readAttrEntries(attrs), required, readComputed(cls.body), source, new Set());
    results.push({ kind: cls.kind, type, block });
  }
  return results;
}

/** One resource type per line, so a provider upgrade shows up in review as a readable diff. */
function serialize(schema) {
  const section = (types) =>
    Object.keys(types).length === 0
      ? '{}'
      : `{\n${Object.entries(types)
          .map(([type, block]) => `    ${JSON.stringify(type)}: ${JSON.stringify(block)}`)
          .join(',\n')}\n  }`;
  const head = ['source', 'provider', 'provider_version', 'provider_block'].map(
    (key) => `  ${JSON.stringify(key)}: ${JSON.stringify(schema[key])}`,
  );
  const body = [
    ...head,
    `  "resources": ${section(schema.resources)}`,
    `  "data_sources": ${section(schema.data_sources)}`,
  ];
  return `{\n${body.join(',\n')}\n}\n`;
}

function main() {
  const [packageDir, outFile, ...only] = process.argv.slice(2);
  if (!packageDir || !outFile) {
    console.error('usage: extract-provider-schema.mjs <path to @cdktf/provider-*> <out.json> [type ...]');
    process.exit(2);
  }
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const keep = only.length > 0 ? new Set(only) : null;
  const schema = {
    source: `${pkg.name}@${pkg.version}`,
    provider: pkg.cdktf?.provider?.name,
    provider_version: pkg.cdktf?.provider?.version,
    provider_block: null,
    resources: {},
    data_sources: {},
  };
  const libDir = join(packageDir, 'lib');
  for (const name of readdirSync(libDir).sort()) {
    const dir = join(libDir, name);
    if (!statSync(dir).isDirectory()) continue;
    for (const { kind, type, block } of extractDirectory(dir)) {
      if (kind === 'TerraformProvider') schema.provider_block = block;
      else if (keep && !keep.has(type)) continue;
      else if (kind === 'TerraformResource') schema.resources[type] = block;
      else if (kind === 'TerraformDataSource') schema.data_sources[type] = block;
    }
  }
  const json = serialize(schema);
  writeFileSync(outFile, json);
  const counts = `${Object.keys(schema.resources).length} resources, ${Object.keys(schema.data_sources).length} data sources`;
  console.log(`${outFile}: ${schema.provider} ${schema.provider_version}, ${counts}, ${json.length} bytes`);
}

main();
