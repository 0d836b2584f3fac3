import assert from 'node:assert/strict';
import { allocateNonce } from '../../../shared/db/allocateNonce.js';
import { createSqlClient, pingDatabase } from '../../../shared/db/createSqlClient.js';
import { isLockNotAvailable } from '../../../shared/db/sqlState.js';
import { HostpayError } from '../../../shared/errors.js';
import { WALLET } from '../../support/dbFixtures.js';
import { createTestDatabase, getTestServer, type TestDatabase } from '../../support/postgres.js';

describe('createSqlClient and pingDatabase (real PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  it('bounds statements, lock waits and idle transactions on every connection', async () => {
    const sql = createSqlClient(db.url, { statementTimeoutMs: 4000, lockTimeoutMs: 300 });
    try {
      const [row] = await sql`
        SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
          current_setting('idle_in_transaction_session_timeout') AS idle, current_setting('application_name') AS app`;
      assert.deepEqual({ ...row }, { statement: '4s', lock: '300ms', idle: '1min', app: 'hostpay' });
    } finally {
      await sql.end();
    }
  });

  it('gives up waiting for a wallet nonce row held by a stuck transaction after the lock timeout', async () => {
    const sql = createSqlClient(db.url, { lockTimeoutMs: 300 });
    try {
      await allocateNonce(db.sql, { chainId: 1, address: WALLET, chainPendingNonce: 0 });
      const started = Date.now();
      const error = await db.sql
        .begin(async (holder) => {
          await allocateNonce(holder, { chainId: 1, address: WALLET, chainPendingNonce: 0 });
          await allocateNonce(sql, { chainId: 1, address: WALLET, chainPendingNonce: 0 });
        })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      assert.ok(isLockNotAvailable(error));
      assert.ok(Date.now() - started < 5000);
    } finally {
      await sql.end();
    }
  });

  it('answers a ping, and reports an unreachable database as DATABASE_UNAVAILABLE', async () => {
    const sql = createSqlClient(db.url);
    try {
      await pingDatabase(sql);
    } finally {
      await sql.end();
    }
    const url = new URL((await getTestServer()).urlFor(db.name));
    url.port = '1';
    const closed = createSqlClient(url.toString(), { connectTimeoutSeconds: 2 });
    try {
      await assert.rejects(pingDatabase(closed), (error) => {
        assert.ok(error instanceof HostpayError);
        assert.equal(error.code, 'DATABASE_UNAVAILABLE');
        return true;
      });
    } finally {
      await closed.end({ timeout: 1 });
    }
  });
});
