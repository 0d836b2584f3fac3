/**
 * Migrations for tests and the local stack: up through the same runner as `hostpay migrate`
 * (migrationRunner.ts), down (rollback) with dbmate, a development tool.
 */
import { spawn } from 'node:child_process';
import { resolveBinary } from 'dbmate';
import type postgres from 'postgres';
import { createSqlClient } from './createSqlClient.js';
import {
  MIGRATIONS_DIR,
  type RunMigrationsOptions,
  readMigrations,
  runMigrations,
} from './migrationRunner.js';

export { MIGRATIONS_DIR };

export interface MigrateOptions {
  migrationsDir?: string;
  timeoutMs?: number;
}

/**
 * Creates the database when missing and applies every pending migration; returns the runner's log
 * (`Applying: <file>` per migration).
 */
export async function migrateUp(
  databaseUrl: string,
  options: MigrateOptions & Pick<RunMigrationsOptions, 'grants'> = {},
): Promise<string> {
  await ensureDatabase(databaseUrl);
  const lines: string[] = [];
  const sql = createSqlClient(databaseUrl, { max: 1, statementTimeoutMs: options.timeoutMs ?? 60_000 });
  try {
    await runMigrations(sql, {
      ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
      ...(options.grants ? { grants: options.grants } : {}),
      log: (line) => lines.push(line),
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** Creates the database `databaseUrl` names, through the server's `postgres` database, unless it exists. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = createSqlClient(url.toString(), { max: 1 });
  try {
    const [row] = await admin`SELECT 1 AS found FROM pg_database WHERE datname = ${name}`;
    if (row) return;
    await admin`CREATE DATABASE ${admin(name)}`.catch((error: unknown) => {
      // Another run created it in between.
      if ((error as postgres.PostgresError).code !== '42P04') throw error;
    });
  } finally {
    await admin.end({ timeout: 5 });
  }
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
  return (await readMigrations(migrationsDir)).map((migration) => migration.name);
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
