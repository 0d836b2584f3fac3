import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../bin/cli.js';
import { migrateDown } from '../../../shared/db/migrate.js';
import {
  MIGRATIONS_DIR,
  parseMigrateGrants,
  parseMigration,
  quoteIdentifier,
  readMigrations,
  runMigrations,
} from '../../../shared/db/migrationRunner.js';
import { describeSchema } from '../../support/dbSchema.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

async function versions(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version`;
  return rows.map((row) => row.version);
}

async function tableExists(db: TestDatabase, name: string): Promise<boolean> {
  const [row] = await db.sql`SELECT to_regclass(${`public.${name}`}) AS found`;
  return row?.found !== null;
}

/** A copy of the repository's migrations plus `extra` files, in a temporary directory. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hostpay-migrations-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    await copyFile(path.join(MIGRATIONS_DIR, name), path.join(dir, name));
  }
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(dir, name), text);
  return dir;
}

describe('hostpay migrate: the migration runner on real PostgreSQL', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const dbs: TestDatabase[] = [];
  const fresh = async () => {
    const db = await createTestDatabase({ migrated: false, max: 4 });
    dbs.push(db);
    return db;
  };
  after(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('two runs started at once both succeed and apply every migration exactly once', async () => {
    const db = await fresh();
    const all = (await readMigrations()).map((m) => m.version);
    const [a, b] = await Promise.all([runMigrations(db.sql), runMigrations(db.sql)]);
    // One run applied everything; the other waited for the lock and found nothing pending.
    assert.deepEqual([...a.applied, ...b.applied].sort(), all);
    assert.ok(a.applied.length === 0 || b.applied.length === 0, 'the two runs interleaved');
    assert.deepEqual(await versions(db), all);
  });

  it('a second run is a no-op, and says so', async () => {
    const db = await fresh();
    await runMigrations(db.sql);
    const before = await describeSchema(db.sql);
    const lines: string[] = [];
    const again = await runMigrations(db.sql, { log: (line) => lines.push(line) });
    assert.deepEqual(again.applied, []);
    assert.deepEqual(lines, ['migrations: nothing to apply']);
    assert.equal(await describeSchema(db.sql), before);
  });

  it('a failing migration leaves nothing of itself and is not recorded; the ones before it stay', async () => {
    const dir = await migrationsWith({
      '29990101000001_half.sql':
        '-- migrate:up\nCREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;\n-- migrate:down\nDROP TABLE half_done;\n',
    });
    dirs.push(dir);
    const db = await fresh();
    await assert.rejects(runMigrations(db.sql, { migrationsDir: dir }), (error: Error) => {
      assert.match(
        error.message,
        /^migration 29990101000001_half\.sql failed, nothing of it applied: division by zero$/,
      );
      return true;
    });
    assert.equal(await tableExists(db, 'half_done'), false);
    assert.deepEqual(
      await versions(db),
      (await readMigrations()).map((m) => m.version),
    );
    // The lock was released: a run with the good migrations only goes through at once.
    assert.deepEqual((await runMigrations(db.sql, { lockWaitMs: 2000 })).applied, []);
  });

  it('runs a transaction:false migration outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
    const dir = await migrationsWith({
      '29990101000002_concurrent_index.sql':
        '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY payouts_test_recipient ON payouts (recipient);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY payouts_test_recipient;\n',
    });
    dirs.push(dir);
    const db = await fresh();
    const report = await runMigrations(db.sql, { migrationsDir: dir });
    assert.equal(report.applied.at(-1), '29990101000002');
    const [row] = await db.sql`SELECT to_regclass('public.payouts_test_recipient') AS found`;
    assert.notEqual(row?.found, null);
  });

  it('refuses a pending migration older than one already applied, like dbmate --strict', async () => {
    const db = await fresh();
    await runMigrations(db.sql);
    const dir = await migrationsWith({ '20200101000001_late.sql': '-- migrate:up\nSELECT 1;\n' });
    dirs.push(dir);
    await assert.rejects(
      runMigrations(db.sql, { migrationsDir: dir }),
      /20200101000001_late\.sql is older than/,
    );
    assert.ok(!(await versions(db)).includes('20200101000001'));
  });

  it('agrees with dbmate: dbmate rolls back what the runner applied, the runner re-applies it', async () => {
    const db = await fresh();
    await runMigrations(db.sql);
    const schema = await describeSchema(db.sql);
    await migrateDown(db.url, { steps: 2 });
    const all = (await readMigrations()).map((m) => m.version);
    assert.deepEqual(await versions(db), all.slice(0, -2));
    assert.deepEqual((await runMigrations(db.sql)).applied, all.slice(-2));
    assert.equal(await describeSchema(db.sql), schema);
  });

  it('makes each named database user a member of its function role, quoting the name, idempotently', async () => {
    const db = await fresh();
    const user = `pay-exec-${process.pid}@hostpay-test.iam`;
    const quoted = quoteIdentifier(user);
    await db.sql.unsafe(`DROP ROLE IF EXISTS ${quoted}`);
    await db.sql.unsafe(`CREATE ROLE ${quoted} LOGIN`);
    try {
      const grants = parseMigrateGrants(JSON.stringify({ executePayment: user }));
      const lines: string[] = [];
      const report = await runMigrations(db.sql, { grants, log: (line) => lines.push(line) });
      assert.deepEqual(report.granted, [
        { functionName: 'executePayment', role: 'hostpay_execute_payment', user },
      ]);
      assert.ok(lines.includes(`Granted: hostpay_execute_payment to ${user}`));
      const member = async (role: string) =>
        (await db.sql`SELECT pg_has_role(${user}, ${role}, 'MEMBER') AS yes`)[0]?.yes;
      assert.equal(await member('hostpay_execute_payment'), true);
      assert.equal(await member('hostpay_admin_api'), false);
      await runMigrations(db.sql, { grants });
      assert.equal(await member('hostpay_execute_payment'), true);
    } finally {
      await db.sql.unsafe(`DROP OWNED BY ${quoted}`).catch(() => undefined);
      await db.sql.unsafe(`DROP ROLE IF EXISTS ${quoted}`);
    }
  });

  it('hostpay migrate: applies, grants, says what it did; then nothing; refuses bad settings', async () => {
    const db = await fresh();
    const user = `pay-rf-${process.pid}@hostpay-test.iam`;
    await db.sql.unsafe(`DROP ROLE IF EXISTS ${quoteIdentifier(user)}`);
    await db.sql.unsafe(`CREATE ROLE ${quoteIdentifier(user)} LOGIN`);
    const run = async (env: Record<string, string>) => {
      let out = '';
      let err = '';
      const code = await runCli(['migrate'], {
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
        isTTY: false,
        env: { HOSTPAY_ENV: 'local', ...env },
      });
      return { code, out, err };
    };
    try {
      const all = await readMigrations();
      const first = await run({
        DATABASE_URL: db.url,
        MIGRATE_GRANTS: JSON.stringify({ recordFailure: user }),
      });
      assert.equal(first.code, 0, first.err);
      for (const migration of all) assert.ok(first.out.includes(`Applied: ${migration.name}\n`), first.out);
      assert.match(
        first.out,
        new RegExp(`Granted: hostpay_record_failure to ${user.replaceAll('.', '\\.')}`),
      );
      assert.match(
        first.out,
        new RegExp(`migrate: ${all.length} migration\\(s\\) applied, 1 grant\\(s\\) made`),
      );
      const password = new URL(db.url).password;
      assert.ok(!first.out.includes(password) && !first.err.includes(password));
      const [member] = await db.sql`SELECT pg_has_role(${user}, 'hostpay_record_failure', 'MEMBER') AS yes`;
      assert.equal(member?.yes, true);

      const second = await run({ DATABASE_URL: db.url });
      assert.equal(second.code, 0, second.err);
      assert.match(
        second.out,
        /^migrations: nothing to apply\nmigrate: 0 migration\(s\) applied, 0 grant\(s\) made\n$/,
      );

      const neither = await run({});
      assert.equal(neither.code, 1);
      assert.match(neither.err, /DATABASE_URL: set DATABASE_URL or CLOUD_SQL_INSTANCE, neither is set/);
      const unverified = await run({
        HOSTPAY_ENV: 'production',
        DATABASE_URL: `postgres://m:${password}@10.0.0.5/hostpay?sslmode=require`,
      });
      assert.equal(unverified.code, 1);
      assert.match(unverified.err, /DATABASE_URL: in production the URL must say sslmode=verify-full/);
      assert.ok(!unverified.err.includes(password));
      const badGrants = await run({ DATABASE_URL: db.url, MIGRATE_GRANTS: '{"everyone":"x"}' });
      assert.equal(badGrants.code, 1);
      assert.match(badGrants.err, /MIGRATE_GRANTS: "everyone" is not a function/);
    } finally {
      await db.sql.unsafe(`DROP ROLE IF EXISTS ${quoteIdentifier(user)}`);
    }
  });

  it('quotes an identifier as one, dots and quotes included', () => {
    assert.equal(quoteIdentifier('pay@p.iam'), '"pay@p.iam"');
    assert.equal(quoteIdentifier('a"b'), '"a""b"');
  });

  it('reads MIGRATE_GRANTS strictly', () => {
    assert.deepEqual(parseMigrateGrants(undefined), {});
    assert.deepEqual(parseMigrateGrants('{"recordFailure":"rf@p.iam","adminApi":"admin@p.iam"}'), {
      recordFailure: 'rf@p.iam',
      adminApi: 'admin@p.iam',
    });
    assert.throws(() => parseMigrateGrants('[1]'), /^HostpayError: MIGRATE_GRANTS: expected a JSON object/);
    assert.throws(() => parseMigrateGrants('{"payAll":"x"}'), /MIGRATE_GRANTS: "payAll" is not a function/);
    assert.throws(
      () => parseMigrateGrants('{"adminApi":"x\\"; DROP TABLE payouts; --"}'),
      /MIGRATE_GRANTS: adminApi: expected a database user name/,
    );
  });

  it("parses dbmate's file format", () => {
    const parsed = parseMigration(
      '20260101000001_x.sql',
      '-- comment\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- migrate:down\nDROP INDEX i;\n',
    );
    assert.equal(parsed.version, '20260101000001');
    assert.equal(parsed.up, 'CREATE INDEX CONCURRENTLY i ON t (c);');
    assert.equal(parsed.down, 'DROP INDEX i;');
    assert.equal(parsed.upTransaction, false);
    assert.equal(parsed.downTransaction, true);
    assert.throws(() => parseMigration('x.sql', '-- migrate:up\n'), /named <digits>_<name>\.sql/);
    assert.throws(() => parseMigration('1_x.sql', 'SELECT 1;'), /no "-- migrate:up" section/);
    assert.throws(() => parseMigration('1_x.sql', '-- migrate:up transaction:maybe\n'), /unknown option/);
  });
});
