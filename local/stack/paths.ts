/** Where the local stack keeps its files (docs/architecture.md, "Running it locally"). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file holding `package.json` (source or `dist/`). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'sql'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** `HOSTPAY_LOCAL_DIR` when set (tests use a temporary one), else `<repo>/.local`. */
export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.HOSTPAY_LOCAL_DIR;
  return given ? path.resolve(given) : path.join(repoRoot(), '.local');
}

/** The description other tools read: `<localDir>/stack.json`. */
export function stackFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localDir(env), 'stack.json');
}

/** The built functions module the Functions Framework serves; `HOSTPAY_FUNCTIONS_SOURCE` serves another build. */
export function functionsSource(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.HOSTPAY_FUNCTIONS_SOURCE;
  return given ? path.resolve(given) : path.join(repoRoot(), 'dist', 'functions', 'index.js');
}
