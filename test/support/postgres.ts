/**
 * Real PostgreSQL for tests (docs/architecture.md, "Platform facts"). One server per mocha process, started on first use and stopped
 * by a root `after` hook; a template database migrated once; each test file gets its own clone.
 *
 *   import { createTestDatabase, type TestDatabase } from './postgres.js';
 *   let db: TestDatabase;
 *   before(async () => { db = await createTestDatabase(); });
 *   after(() => db.drop());
 *   // db.sql is a postgres.js client on a fresh, fully migrated database; db.url is its URL.
 *
 * With `DATABASE_URL` set, that server is used instead of an embedded one: its user needs CREATEDB, and
 * the template and test databases made there are dropped at the end.
 * Import this module statically (at the top of a test file) so its root hook is registered.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type RunningPostgres, startPostgres } from '../../local/postgres.js';
import { migrateUp } from '../../shared/db/migrate.js';

export interface TestDatabase {
  /** A postgres.js client (pool) on this file's database. */
  sql: postgres.Sql;
  /** Connection URL of this file's database, for code that opens its own client. */
  url: string;
  name: string;
  /** Closes `sql` and drops the database. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** false: an empty database, no migrations applied. Default true. */
  migrated?: boolean;
  /** Pool size of `sql`; default 10. */
  max?: number;
}

interface TestServer {
  adminUrl: string;
  urlFor(database: string): string;
  embedded: RunningPostgres | undefined;
}

let serverPromise: Promise<TestServer> | undefined;
let templatePromise: Promise<string> | undefined;
const open = new Set<TestDatabase>();
const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
let counter = 0;

/** A fresh database for one test file, cloned from the migrated template (or empty). */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = await getTestServer();
  const name = `hostpay_test_${runId}_${++counter}`;
  const admin = adminClient(server);
  try {
    if (options.migrated === false) {
      await admin.unsafe(`CREATE DATABASE "${name}"`);
    } else {
      const template = await getTemplate(server);
      await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    }
  } finally {
    await admin.end();
  }
  const url = server.urlFor(name);
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => undefined });
  let dropping: Promise<void> | undefined;
  const db: TestDatabase = {
    sql,
    url,
    name,
    drop() {
      dropping ??= (async () => {
        open.delete(db);
        await sql.end({ timeout: 5 });
        await dropDatabase(server, name);
      })();
      return dropping;
    },
  };
  open.add(db);
  return db;
}

/** The server shared by this mocha process: its superuser URL and a URL maker for other databases. */
export function getTestServer(): Promise<TestServer> {
  serverPromise ??= (async () => {
    const external = process.env.DATABASE_URL;
    if (external) {
      return {
        adminUrl: external,
        urlFor: (database: string) => withDatabase(external, database),
        embedded: undefined,
      };
    }
    const embedded = await startPostgres({ fsync: false });
    return { adminUrl: embedded.url, urlFor: embedded.urlFor, embedded };
  })();
  return serverPromise;
}

function getTemplate(server: TestServer): Promise<string> {
  templatePromise ??= (async () => {
    const template = `hostpay_template_${runId}`;
    // dbmate creates the database, applies every migration and disconnects, so it can be cloned.
    await migrateUp(server.urlFor(template));
    return template;
  })();
  return templatePromise;
}

function adminClient(server: TestServer): postgres.Sql {
  return postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
}

async function dropDatabase(server: TestServer, name: string): Promise<void> {
  const admin = adminClient(server);
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Drops what the test files left and stops the embedded server, so mocha exits on its own. */
async function stopTestServer(): Promise<void> {
  if (serverPromise === undefined) return;
  const server = await serverPromise;
  await Promise.allSettled([...open].map((db) => db.drop()));
  if (server.embedded) {
    await server.embedded.stop();
  } else if (templatePromise !== undefined) {
    const template = await templatePromise.catch(() => undefined);
    if (template !== undefined) await dropDatabase(server, template);
  }
  serverPromise = undefined;
  templatePromise = undefined;
}

if (typeof after === 'function') after(stopTestServer);
