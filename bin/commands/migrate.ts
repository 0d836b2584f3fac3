/**
 * `hostpay migrate`: the deploy step that applies pending migrations (docs/deploy.md). It connects the way
 * the functions do (DATABASE_URL, or CLOUD_SQL_INSTANCE with the IAM user DATABASE_USER: here the
 * migration user, which owns the schema), applies what is pending under an advisory lock, then makes each
 * function's database user named in MIGRATE_GRANTS a member of its function's role. Runtime dependencies
 * only: it runs from `dist/` in a production image.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../shared/config/loadConfig.js';
import { DATABASE_SETTINGS, databaseTarget } from '../../shared/db/connect.js';
import { createSqlClient } from '../../shared/db/createSqlClient.js';
import { parseMigrateGrants, runMigrations } from '../../shared/db/migrationRunner.js';
import { type CliIo, type Command, EXIT } from '../command.js';

export const MIGRATE_USAGE = `usage: hostpay migrate [--migrations-dir DIR]

Applies the pending migrations of sql/migrations (or DIR) in order, each in its own transaction, under a
PostgreSQL advisory lock (runs started together take turns), recording them in schema_migrations as dbmate
does. Connects as the functions do:
  DATABASE_URL                      a postgres:// URL (in production with sslmode=verify-full), or
  CLOUD_SQL_INSTANCE, DATABASE_USER the Cloud SQL instance and the IAM user that owns the schema
  CLOUD_SQL_IP_TYPE, DATABASE_NAME  as for the functions (PRIVATE, hostpay)
Then, with MIGRATE_GRANTS='{"executePayment":"<db user>", ...}', grants each function's database user its
function's role.`;

export async function runMigrateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'migrations-dir': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const grants = parseMigrateGrants(io.env.MIGRATE_GRANTS);
  const config = await loadConfig(io.env, { only: DATABASE_SETTINGS });
  // Statements of a migration may take long (an index on a large table); a lock held by the functions
  // still times out, so a migration never queues the payouts behind it for long.
  const sql = createSqlClient(databaseTarget(config), {
    max: 1,
    statementTimeoutMs: 30 * 60_000,
    lockTimeoutMs: 10_000,
  });
  try {
    const report = await runMigrations(sql, {
      ...(values['migrations-dir'] ? { migrationsDir: values['migrations-dir'] } : {}),
      grants,
      log: (line) => io.out(`${line}\n`),
    });
    io.out(
      `migrate: ${report.applied.length} migration(s) applied, ${report.granted.length} grant(s) made\n`,
    );
    return EXIT.ok;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const migrateCommand: Command = {
  summary: 'apply pending database migrations and the function roles (a deploy step)',
  usage: MIGRATE_USAGE,
  run: runMigrateCommand,
};
