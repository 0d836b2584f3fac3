import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type postgres from 'postgres';
import { bundledDir } from '../bundle.js';
import { FUNCTION_NAMES, type FunctionName } from '../config/settings.js';
import { HostpayError } from '../errors.js';

/** The repository's migrations, found from this file whether it runs as source or from `dist/`. */
export const MIGRATIONS_DIR = bundledDir('sql/migrations');

/** pg_advisory_lock key of migrations: 'hostpay' in ASCII, one key for every hostpay database. */
export const MIGRATION_LOCK_KEY = 0x686f7374706179n;

/** The group role (NOLOGIN) of each function; its grants are in sql/migrations. */
export const FUNCTION_ROLES: Readonly<Record<FunctionName, string>> = {
  executePayment: 'hostpay_execute_payment',
  retryPayment: 'hostpay_retry_payment',
  recordFailure: 'hostpay_record_failure',
  adminApi: 'hostpay_admin_api',
  recoverPayments: 'hostpay_recover_payments',
};

export interface Migration {
  /** The file name's leading digits, dbmate's version. */
  readonly version: string;
  readonly name: string;
  readonly up: string;
  readonly down: string;
  /** false when the file says `-- migrate:up transaction:false` (e.g. CREATE INDEX CONCURRENTLY). */
  readonly upTransaction: boolean;
  readonly downTransaction: boolean;
}

const MARKER = /^--\s*migrate:(up|down)(.*)$/gm;

/** Splits a dbmate migration file into its sections and options. */
export function parseMigration(name: string, text: string): Migration {
  const match = /^(\d+)_.+\.sql$/.exec(name);
  if (!match?.[1]) throw new Error(`${name}: a migration file is named <digits>_<name>.sql`);
  const markers = [...text.matchAll(MARKER)];
  const sections: Partial<Record<'up' | 'down', { body: string; transaction: boolean }>> = {};
  markers.forEach((marker, index) => {
    const kind = marker[1] as 'up' | 'down';
    if (sections[kind]) throw new Error(`${name}: more than one "-- migrate:${kind}"`);
    const start = (marker.index ?? 0) + marker[0].length;
    const end = markers[index + 1]?.index ?? text.length;
    const options = (marker[2] ?? '').trim().split(/\s+/).filter(Boolean);
    for (const option of options) {
      if (option !== 'transaction:false' && option !== 'transaction:true') {
        throw new Error(`${name}: unknown option "${option}" after -- migrate:${kind}`);
      }
    }
    sections[kind] = {
      body: text.slice(start, end).trim(),
      transaction: !options.includes('transaction:false'),
    };
  });
  if (!sections.up) throw new Error(`${name}: no "-- migrate:up" section`);
  return {
    version: match[1],
    name,
    up: sections.up.body,
    down: sections.down?.body ?? '',
    upTransaction: sections.up.transaction,
    downTransaction: sections.down?.transaction ?? true,
  };
}

/** The migrations of `dir`, oldest first. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
  const migrations = await Promise.all(
    names.map(async (name) => parseMigration(name, await readFile(path.join(dir, name), 'utf8'))),
  );
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (seen.has(migration.version)) throw new Error(`two migrations have version ${migration.version}`);
    seen.add(migration.version);
  }
  return migrations;
}

/** `MIGRATE_GRANTS`: function name → its database user, e.g. `{"executePayment": "pay-exec@p.iam"}`. */
export type MigrateGrants = Partial<Record<FunctionName, string>>;

/** Reads `MIGRATE_GRANTS` (JSON); CONFIG_INVALID names what is wrong. */
export function parseMigrateGrants(text: string | undefined): MigrateGrants {
  if (text === undefined || text.trim() === '') return {};
  const fail = (why: string) => new HostpayError('CONFIG_INVALID', `MIGRATE_GRANTS: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('expected a JSON object {"executePayment": "<database user>", ...}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('expected a JSON object {"executePayment": "<database user>", ...}');
  }
  const grants: MigrateGrants = {};
  for (const [key, user] of Object.entries(value)) {
    if (!FUNCTION_NAMES.includes(key as FunctionName)) {
      throw fail(`${JSON.stringify(key)} is not a function; expected ${FUNCTION_NAMES.join(', ')}`);
    }
    if (typeof user !== 'string' || !/^[A-Za-z0-9_.@+-]{1,63}$/.test(user)) {
      throw fail(`${key}: expected a database user name (letters, digits, _ . @ + -, at most 63)`);
    }
    grants[key as FunctionName] = user;
  }
  return grants;
}

export interface RunMigrationsOptions {
  migrationsDir?: string;
  /** Receives one line per step (what was applied, granted, or that nothing was pending). */
  log?: (line: string) => void;
  grants?: MigrateGrants;
  /** Longest wait for another run's lock; default 10 minutes. */
  lockWaitMs?: number;
}

export interface MigrationReport {
  applied: string[];
  granted: { functionName: FunctionName; role: string; user: string }[];
}

/**
 * Applies every pending migration in version order on one connection of `sql`, under the migration
 * advisory lock, then the grants. Refuses (like `dbmate --strict`) a pending migration older than one
 * already applied: it was written against a schema that has since moved on.
 */
export async function runMigrations(
  sql: postgres.Sql,
  options: RunMigrationsOptions = {},
): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  const migrations = await readMigrations(options.migrationsDir);
  const report: MigrationReport = { applied: [], granted: [] };
  const conn = await sql.reserve();
  try {
    await conn`SELECT set_config('lock_timeout', ${`${options.lockWaitMs ?? 600_000}ms`}, false)`;
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      await conn.unsafe('RESET lock_timeout');
      await conn.unsafe('CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)');
      const applied = new Set(
        (await conn<{ version: string }[]>`SELECT version FROM schema_migrations`).map((row) => row.version),
      );
      const pending = migrations.filter((migration) => !applied.has(migration.version));
      const newest = [...applied].sort((a, b) => compareVersions(b, a))[0];
      const late = pending.find(
        (migration) => newest !== undefined && compareVersions(migration.version, newest) < 0,
      );
      if (late) {
        throw new Error(
          `${late.name} is older than ${newest}, which is already applied; give it a newer version`,
        );
      }
      if (pending.length === 0) log('migrations: nothing to apply');
      for (const migration of pending) {
        log(`Applying: ${migration.name}`);
        await apply(conn, migration);
        report.applied.push(migration.version);
        log(`Applied: ${migration.name}`);
      }
      for (const [functionName, user] of Object.entries(options.grants ?? {}) as [FunctionName, string][]) {
        const role = FUNCTION_ROLES[functionName];
        await conn.unsafe(`GRANT ${quoteIdentifier(role)} TO ${quoteIdentifier(user)}`);
        report.granted.push({ functionName, role, user });
        log(`Granted: ${role} to ${user}`);
      }
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
  return report;
}

/**
 * `name` as one SQL identifier. Not postgres.js's `sql(name)`: that splits at dots (schema.table), and an
 * IAM database user (`name@project.iam`) has one.
 */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new Error('an identifier cannot contain a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

function compareVersions(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

async function apply(conn: postgres.ReservedSql, migration: Migration): Promise<void> {
  const record = () => conn`INSERT INTO schema_migrations (version) VALUES (${migration.version})`;
  try {
    if (!migration.upTransaction) {
      // Statements that cannot run in a transaction; recorded once they all succeeded.
      await conn.unsafe(migration.up);
      await record();
      return;
    }
    await conn.unsafe('BEGIN');
    try {
      await conn.unsafe(migration.up);
      await record();
      await conn.unsafe('COMMIT');
    } catch (error) {
      await conn.unsafe('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const state = migration.upTransaction
      ? 'nothing of it applied'
      : 'it runs outside a transaction (transaction:false): its statements before the failure stay';
    throw new Error(`migration ${migration.name} failed, ${state}: ${message}`, { cause: error });
  }
}
