import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type postgres from 'postgres';
import { listMigrations, migrateDown, migrateUp } from '../../../shared/db/migrate.js';
import { describeSchema, SCHEMA_FILE } from '../../support/dbSchema.js';
import { createTestDatabase, getTestServer, type TestDatabase } from '../../support/postgres.js';

async function publicTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
  return rows.map((row) => row.name);
}

describe('migrations (dbmate on real PostgreSQL)', () => {
  let empty: TestDatabase;
  let migrated: TestDatabase;
  let committed: string;
  before(async () => {
    [empty, migrated] = await Promise.all([createTestDatabase({ migrated: false }), createTestDatabase()]);
    committed = await readFile(SCHEMA_FILE, 'utf8');
  });
  after(() => Promise.all([empty.drop(), migrated.drop()]));

  it('gives the schema committed in sql/schema.sql (regenerate with scripts/dump-schema.ts)', async () => {
    assert.equal(await describeSchema(migrated.sql), committed);
  });

  it('goes up, down to nothing and up again on a fresh database, ending in the same schema', async () => {
    assert.deepEqual(await publicTables(empty.sql), []);
    await migrateUp(empty.url);
    assert.deepEqual(await publicTables(empty.sql), [
      'failed_transactions',
      'payout_transactions',
      'payouts',
      'schema_migrations',
      'wallet_nonces',
    ]);
    assert.equal(await describeSchema(empty.sql), committed);

    await migrateDown(empty.url);
    assert.deepEqual(await publicTables(empty.sql), ['schema_migrations']);
    assert.equal((await empty.sql`SELECT version FROM schema_migrations`).length, 0);

    await migrateUp(empty.url);
    assert.equal(await describeSchema(empty.sql), committed);
    const versions = await empty.sql<
      { version: string }[]
    >`SELECT version FROM schema_migrations ORDER BY version`;
    assert.deepEqual(
      versions.map((row) => row.version),
      (await listMigrations()).map((name) => name.split('_')[0]),
    );
  });

  it('applies nothing when run again on an up-to-date database', async () => {
    const output = await migrateUp(migrated.url);
    assert.doesNotMatch(output, /Applying/);
    assert.equal(await describeSchema(migrated.sql), committed);
  });

  it('rolls back one step at a time, newest first', async () => {
    const db = await createTestDatabase();
    try {
      const granted = async () =>
        (
          await db.sql`
            SELECT count(*)::int AS n FROM information_schema.role_table_grants
            WHERE grantee LIKE 'hostpay\_%' AND table_schema = 'public'`
        )[0]?.n;
      assert.ok((await granted()) > 0);
      await migrateDown(db.url, { steps: 1 });
      assert.equal(await granted(), 0, 'the newest migration (function roles) takes back its grants');
      await migrateDown(db.url, { steps: 1 });
      const columns = async () =>
        (
          await db.sql`
            SELECT table_name || '.' || column_name AS name FROM information_schema.columns
            WHERE table_schema = 'public' AND column_name = 'cycle' ORDER BY name`
        ).map((row) => row.name);
      assert.deepEqual(await columns(), [], 'the newest migration (cycles, cancel_requested) is undone');
      await migrateDown(db.url, { steps: 1 });
      assert.deepEqual(await publicTables(db.sql), [
        'failed_transactions',
        'payout_transactions',
        'payouts',
        'schema_migrations',
      ]);
      await migrateUp(db.url);
      assert.equal(await describeSchema(db.sql), committed);
    } finally {
      await db.drop();
    }
  });

  it('keeps the password out of a dbmate failure', async () => {
    const server = await getTestServer();
    const url = new URL(server.urlFor('hostpay_no_such_db'));
    url.password = 'not-the-password-1f2e3d';
    await assert.rejects(migrateDown(url.toString(), { steps: 1 }), (error: Error) => {
      assert.match(error.message, /dbmate rollback failed/);
      assert.doesNotMatch(error.message, /not-the-password-1f2e3d/);
      return true;
    });
  });
});
