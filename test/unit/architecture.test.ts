/**
 * The layout keeps telling the architecture (docs/architecture.md, "Module map"): no import circle, one
 * home per exported name, comments that point only into the repository, and a README layout table that
 * matches the tree.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CODE_DIRS = ['shared', 'functions', 'bin', 'local', 'bench'];

function sourceFiles(dir: string, pattern = /\.(ts|mjs)$/): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(relative, pattern));
    else if (pattern.test(entry.name)) out.push(relative);
  }
  return out;
}

const files = CODE_DIRS.flatMap((dir) => sourceFiles(dir));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Relative imports of a file (type-only ones too: a circle of types is a circle of concepts). */
function imports(file: string): string[] {
  const found: string[] = [];
  for (const match of read(file).matchAll(/(?:import|export)\s[^'";]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = path.normalize(path.join(path.dirname(file), match[1]!)).replace(/\.js$/, '.ts');
    found.push(existsSync(path.join(ROOT, target)) ? target : target.replace(/\.ts$/, '/index.ts'));
  }
  return found;
}

describe('architecture', () => {
  it('has no import circle', () => {
    const graph = new Map(files.map((file) => [file, imports(file)]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[][] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file]);
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(
      circles.map((c) => c.join(' -> ')),
      [],
    );
  });

  it('gives each exported name one home', () => {
    const homes = new Map<string, string[]>();
    for (const file of files) {
      const declared = read(file).matchAll(
        /^export (?:declare )?(?:async )?(?:function\*? |const |let |class |abstract class |interface |type |enum )(\w+)/gm,
      );
      // A name declared twice in one file is an overload, not a second home.
      for (const match of declared)
        homes.set(match[1]!, [...new Set([...(homes.get(match[1]!) ?? []), file])]);
    }
    const shared = [...homes]
      .filter(([, where]) => where.length > 1)
      .map(([name, where]) => `${name}: ${where.join(', ')}`);
    assert.deepEqual(shared, []);
  });

  it('cites only documents in the repository, and only sections that exist', () => {
    const cited: string[] = [];
    const dangling: string[] = [];
    const sections = (doc: string) =>
      new Set([...read(doc).matchAll(/^#{1,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase()));
    const docs = new Map<string, Set<string>>();
    const everything = [
      ...files,
      ...sourceFiles('test'),
      ...sourceFiles('terraform', /\.tf$/),
      ...sourceFiles('sql', /\.sql$/),
    ];
    for (const file of everything.filter((f) => !f.endsWith('architecture.test.ts'))) {
      const text = read(file);
      if (/\b(DESIGN|STYLE)\.md\b/.test(text)) cited.push(file);
      for (const match of text.matchAll(/(docs\/[\w.-]+\.md)(?:,? "([^"]+)")?/g)) {
        const doc = match[1]!;
        if (!existsSync(path.join(ROOT, doc))) {
          dangling.push(`${file}: ${doc}`);
          continue;
        }
        if (!docs.has(doc)) docs.set(doc, sections(doc));
        const section = match[2];
        if (section && !docs.get(doc)!.has(section.toLowerCase()))
          dangling.push(`${file}: ${doc} "${section}"`);
      }
    }
    assert.deepEqual(cited, [], 'cites a design or style document that is not in the repository');
    assert.deepEqual(dangling, []);
  });

  it('keeps the README layout table true to the tree', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Layout'));
    const rows = [...table.matchAll(/^\| `([^`]+)`\s+\|/gm)].map((m) => m[1]!);
    assert.ok(rows.length >= 8, 'the layout table lists the top-level folders');
    for (const row of rows)
      assert.ok(existsSync(path.join(ROOT, row)), `${row} is in the README but not in the tree`);
    const topLevel = readdirSync(ROOT).filter(
      (name) =>
        !name.startsWith('.') &&
        statSync(path.join(ROOT, name)).isDirectory() &&
        !['node_modules', 'dist', 'test-results'].includes(name),
    );
    for (const dir of topLevel)
      assert.ok(rows.includes(`${dir}/`), `${dir}/ is in the tree but not in the README`);
  });
});
