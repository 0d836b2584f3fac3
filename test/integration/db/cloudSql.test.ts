/**
 * Connector mode for real: `createSqlClient` with a Cloud SQL instance goes through
 * `@google-cloud/cloud-sql-connector` (its Admin API calls, its ephemeral client certificate, its mutual
 * TLS to port 3307) to embedded PostgreSQL, through the local stand-in of test/support/cloudSql/.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectorOptions } from '@google-cloud/cloud-sql-connector';
import { OAuth2Client } from 'google-auth-library';
import postgres from 'postgres';
import { type RunningPostgres, startPostgres } from '../../../local/postgres.js';
import { loadConfig } from '../../../shared/config/loadConfig.js';
import { DATABASE_SETTINGS, databaseTarget } from '../../../shared/db/connect.js';
import { createSqlClient, pingDatabase } from '../../../shared/db/createSqlClient.js';
import { getFailedTransaction, insertFailedTransaction } from '../../../shared/db/index.js';
import { quoteIdentifier, readMigrations, runMigrations } from '../../../shared/db/migrationRunner.js';
import {
  type CloudSqlStandIn,
  fakeAccessToken,
  startCloudSqlStandIn,
} from '../../support/cloudSql/standIn.js';
import { failureParams } from '../../support/dbFixtures.js';

const INSTANCE = 'hostpay-test:us-central1:ledger';
const IAM_USER = 'hostpay-migrate@hostpay-test.iam';
const DATABASE = 'hostpay_connector';

/** Credentials holding `token`, as the connector's `auth` (its own google-auth-library version is newer). */
function authWith(token: string): ConnectorOptions['auth'] {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client as unknown as ConnectorOptions['auth'];
}

describe('Cloud SQL connector mode (the connector against a local Cloud SQL stand-in)', function () {
  this.timeout(90_000);
  let server: RunningPostgres;
  let standIn: CloudSqlStandIn;
  const token = fakeAccessToken();

  before(async () => {
    server = await startPostgres({ fsync: false });
    const admin = postgres(server.url, { max: 1, onnotice: () => undefined });
    try {
      // The IAM user has no password: like Cloud SQL, the server lets it in because the proxy vouched for it.
      // The migration user: it creates the function roles (CREATEROLE, as Cloud SQL's cloudsqlsuperuser has).
      await admin.unsafe(`CREATE ROLE ${quoteIdentifier(IAM_USER)} LOGIN CREATEROLE`);
      await admin.unsafe(`CREATE DATABASE ${DATABASE} OWNER ${quoteIdentifier(IAM_USER)}`);
      const [{ hba_file: hbaFile }] = (await admin`SHOW hba_file`) as unknown as [{ hba_file: string }];
      const hba = await readFile(hbaFile, 'utf8');
      await writeFile(hbaFile, `host ${DATABASE} "${IAM_USER}" 127.0.0.1/32 trust\n${hba}`);
      await admin`SELECT pg_reload_conf()`;
    } finally {
      await admin.end();
    }
    standIn = await startCloudSqlStandIn({
      instance: INSTANCE,
      accessToken: token,
      postgres: { host: '127.0.0.1', port: server.port },
    });
  });

  after(async () => {
    await standIn?.close();
    await server?.stop();
  });

  it('connects from the settings, migrates and reads and writes the ledger as the IAM user', async () => {
    const config = await loadConfig(
      {
        HOSTPAY_ENV: 'production',
        CLOUD_SQL_INSTANCE: INSTANCE,
        DATABASE_USER: IAM_USER,
        DATABASE_NAME: DATABASE,
        CLOUD_SQL_IP_TYPE: 'PRIVATE',
      },
      { only: DATABASE_SETTINGS },
    );
    const target = databaseTarget(config, {
      auth: authWith(token),
      sqlAdminAPIEndpoint: standIn.adminApiUrl,
    });
    assert.equal(typeof target, 'object');
    const sql = createSqlClient(target, { max: 2 });
    try {
      const [who] = await sql<{ user: string; database: string }[]>`
        SELECT current_user AS user, current_database() AS database`;
      assert.deepEqual(who, { user: IAM_USER, database: DATABASE });

      const report = await runMigrations(sql);
      assert.deepEqual(
        report.applied,
        (await readMigrations()).map((m) => m.version),
      );
      const params = failureParams();
      await insertFailedTransaction(sql, params);
      // Several at once: the pool opens its second connection through the connector too.
      const rows = await Promise.all(
        Array.from({ length: 6 }, () => getFailedTransaction(sql, { uniqueId: params.uniqueId })),
      );
      for (const row of rows) assert.equal(row?.errorCode, 'INSUFFICIENT_FUNDS');
      await pingDatabase(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
    // The connector asked the Admin API with the credentials' token, once for the instance...
    assert.ok(standIn.calls.length >= 2);
    assert.ok(standIn.calls.every((call) => call.authorized));
    assert.ok(standIn.calls.some((call) => call.path.endsWith('/connectSettings')));
    assert.ok(standIn.calls.some((call) => call.path.endsWith(':generateEphemeralCert')));
    // ...and every connection presented a client certificate the stand-in issued.
    assert.equal(standIn.clientCertificates.length, 2);
    for (const subject of standIn.clientCertificates) assert.match(subject, /^client-\d+$/);
  });

  it('the proxy refuses a TLS client without an issued certificate', async () => {
    const before = standIn.refusedHandshakes;
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: standIn.address, port: 3307, rejectUnauthorized: false });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.on('secureConnect', () => socket.write('x'));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(standIn.refusedHandshakes, before + 1);
  });

  it('fails, without a connection, when the credentials are not accepted', async () => {
    const sql = createSqlClient(
      {
        cloudSqlInstance: INSTANCE,
        ipType: 'PRIVATE',
        user: IAM_USER,
        database: DATABASE,
        connector: { auth: authWith(fakeAccessToken()), sqlAdminAPIEndpoint: standIn.adminApiUrl },
      },
      { max: 1, connectTimeoutSeconds: 5 },
    );
    const connections = standIn.clientCertificates.length;
    try {
      await assert.rejects(sql`SELECT 1`, (error: Error) => {
        assert.doesNotMatch(error.message, /ya29\./);
        return true;
      });
    } finally {
      await sql.end({ timeout: 5 });
    }
    assert.equal(standIn.clientCertificates.length, connections);
    assert.ok(standIn.calls.some((call) => !call.authorized));
  });
});
