/** Writes sql/schema.sql: applies every migration to a scratch embedded PostgreSQL and reads the schema back. */
import { writeFile } from 'node:fs/promises';
import postgres from 'postgres';
import { startPostgres } from '../local/postgres.js';
import { migrateUp } from '../shared/db/migrate.js';
import { describeSchema, SCHEMA_FILE } from '../test/support/dbSchema.js';

const server = await startPostgres({ fsync: false });
try {
  const url = server.urlFor('hostpay_schema');
  await migrateUp(url);
  const sql = postgres(url, { max: 1 });
  try {
    await writeFile(SCHEMA_FILE, await describeSchema(sql));
  } finally {
    await sql.end();
  }
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
} finally {
  await server.stop();
}
