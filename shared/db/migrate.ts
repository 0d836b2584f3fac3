/** Applies and rolls back the `sql/migrations` files with dbmate (DESIGN §7), for tests and the local stack. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from 'dbmate';

/** The repository's migrations, found from this file whether it runs as source or from `dist/`. */
export const MIGRATIONS_DIR =
  ['../../sql/migrations/', '../../../sql/migrations/']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((dir) => existsSync(dir)) ?? path.resolve('sql/migrations');

export interface MigrateOptions {
  migrationsDir?: string;
  timeoutMs?: number;
}

/** Creates the database when missing and applies every pending migration (`dbmate up`). */
export async function migrateUp(databaseUrl: string, options: MigrateOptions = {}): Promise<string> {
  return runDbmate(databaseUrl, ['up', '--strict'], options);
}

/** Rolls back the newest `steps` migrations; omitted: all of those in the migrations directory. */
export async function migrateDown(
  databaseUrl: string,
  options: MigrateOptions & { steps?: number } = {},
): Promise<string> {
  const steps = options.steps ?? (await listMigrations(options.migrationsDir)).length;
  const output: string[] = [];
  for (let i = 0; i < steps; i++) output.push(await runDbmate(databaseUrl, ['rollback'], options));
  return output.join('');
}

/** File names of the migrations, oldest first. */
export async function listMigrations(migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(migrationsDir)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
}

/** dbmate's Postgres driver requires TLS unless the URL says otherwise; the local servers have none. */
export function dbmateUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('sslmode') && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    url.searchParams.set('sslmode', 'disable');
  }
  return url.toString();
}

function runDbmate(databaseUrl: string, command: string[], options: MigrateOptions): Promise<string> {
  const url = dbmateUrl(databaseUrl);
  const password = new URL(url).password;
  const args = [
    '--url',
    url,
    '--migrations-dir',
    options.migrationsDir ?? MIGRATIONS_DIR,
    '--no-dump-schema',
    '--env-file',
    '/dev/null',
    ...command,
  ];
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(resolveBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      // dbmate may echo the URL in an error; the password never leaves this function.
      const text = password ? output.split(password).join('***') : output;
      if (code === 0) resolve(text);
      else reject(new Error(`dbmate ${command[0]} failed (${signal ?? `exit ${code}`}): ${text.trim()}`));
    });
  });
}
