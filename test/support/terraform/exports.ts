/**
 * The names a TypeScript module exports, read with the compiler's parser (no code runs), following
 * `export * from` and `export { x } from` into sibling files. Used to check entry points.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

const hasExport = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** `./x.js` imported from `file` => the `.ts` source beside it. */
function sourceOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(file), specifier);
  for (const candidate of [
    target.replace(/\.js$/, '.ts'),
    target,
    `${target}.ts`,
    resolve(target, 'index.ts'),
  ]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

/** Runtime (non-type) export names of a TypeScript source file. */
export async function readExportedNames(file: string, seen: Set<string> = new Set()): Promise<Set<string>> {
  const names = new Set<string>();
  if (seen.has(file)) return names;
  seen.add(file);
  const source = ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.Latest, true);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly) continue;
      const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier);
      const target = from ? sourceOf(file, (statement.moduleSpecifier as ts.StringLiteral).text) : undefined;
      if (!statement.exportClause) {
        if (target) for (const name of await readExportedNames(target, seen)) names.add(name);
      } else if (ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements)
          if (!element.isTypeOnly) names.add(element.name.text);
      } else {
        names.add(statement.exportClause.name.text);
      }
    } else if (ts.isVariableStatement(statement) && hasExport(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      hasExport(statement) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The entry module of the deployed bundle: package.json `main` (dist/x.js) mapped back to its source (x.ts). */
export async function entrySourceFile(repoRoot: string): Promise<string> {
  const pkg = JSON.parse(await readFile(resolve(repoRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no main: the functions bundle has no entry module');
  return resolve(repoRoot, pkg.main.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts'));
}
