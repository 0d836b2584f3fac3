import assert from 'node:assert/strict';
import postgres from 'postgres';
import { getPayout } from '../../../shared/db/getPayout.js';
import {
  isCheckViolation,
  isDatabaseUnavailable,
  isDeadlock,
  isForeignKeyViolation,
  isLockNotAvailable,
  isRetryableTransactionError,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
  toDatabaseError,
} from '../../../shared/db/sqlState.js';
import { HostpayError } from '../../../shared/errors.js';
import { createTestDatabase, getTestServer, type TestDatabase } from '../../support/postgres.js';

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('SQLSTATE classification (real PostgreSQL errors)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await db.sql`CREATE TABLE scratch (id int PRIMARY KEY, n int NOT NULL CHECK (n >= 0))`;
    await db.sql`INSERT INTO scratch VALUES (1, 0), (2, 0)`;
  });
  after(() => db.drop());

  it('recognises a unique violation', async () => {
    const error = await caught(db.sql`INSERT INTO scratch VALUES (1, 0)`);
    assert.equal(sqlState(error), '23505');
    assert.ok(isUniqueViolation(error));
    assert.ok(!isCheckViolation(error));
  });

  it('recognises check and foreign key violations', async () => {
    const check = await caught(db.sql`UPDATE scratch SET n = -1 WHERE id = 1`);
    assert.ok(isCheckViolation(check));
    const foreign = await caught(db.sql`
      INSERT INTO payout_transactions (payout_id, chain_id, from_address, hash, nonce, kind, max_fee_per_gas,
        max_priority_fee_per_gas, gas_limit, raw_transaction)
      VALUES (999999, 1, ${`0x${'a'.repeat(40)}`}, ${`0x${'b'.repeat(64)}`}, 0, 'transfer', 1, 1, 21000, '\\x02')`);
    assert.ok(isForeignKeyViolation(foreign));
  });

  it('recognises a lock that is not available (NOWAIT)', async () => {
    const error = await caught(
      db.sql.begin(async (holder) => {
        await holder`SELECT * FROM scratch WHERE id = 1 FOR UPDATE`;
        await db.sql`SELECT * FROM scratch WHERE id = 1 FOR UPDATE NOWAIT`;
      }),
    );
    assert.equal(sqlState(error), '55P03');
    assert.ok(isLockNotAvailable(error));
  });

  it('recognises a serialization failure as a transaction to run again', async () => {
    const a = await db.sql.reserve();
    const b = await db.sql.reserve();
    try {
      await a`BEGIN ISOLATION LEVEL SERIALIZABLE`;
      await b`BEGIN ISOLATION LEVEL SERIALIZABLE`;
      await a`SELECT sum(n) FROM scratch`;
      await b`SELECT sum(n) FROM scratch`;
      await a`UPDATE scratch SET n = n + 1 WHERE id = 1`;
      await b`UPDATE scratch SET n = n + 1 WHERE id = 2`;
      await a`COMMIT`;
      const error = await caught(b`COMMIT`);
      assert.equal(sqlState(error), '40001');
      assert.ok(isSerializationFailure(error));
      assert.ok(isRetryableTransactionError(error));
    } finally {
      await b`ROLLBACK`.catch(() => undefined);
      a.release();
      b.release();
    }
  });

  it('recognises a deadlock as a transaction to run again', async () => {
    const a = await db.sql.reserve();
    const b = await db.sql.reserve();
    try {
      await a`BEGIN`;
      await b`BEGIN`;
      await a`UPDATE scratch SET n = n + 1 WHERE id = 1`;
      await b`UPDATE scratch SET n = n + 1 WHERE id = 2`;
      const results = await Promise.allSettled([
        a`UPDATE scratch SET n = n + 1 WHERE id = 2`,
        b`UPDATE scratch SET n = n + 1 WHERE id = 1`,
      ]);
      const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      assert.equal(errors.length, 1);
      assert.equal(sqlState(errors[0]), '40P01');
      assert.ok(isDeadlock(errors[0]));
      assert.ok(isRetryableTransactionError(errors[0]));
    } finally {
      await a`ROLLBACK`.catch(() => undefined);
      await b`ROLLBACK`.catch(() => undefined);
      a.release();
      b.release();
    }
  });

  it('judges by code, not by message: a look-alike message is not a database error', () => {
    const lookalike = new Error('duplicate key value violates unique constraint "payouts_unique_id_key"');
    assert.equal(sqlState(lookalike), undefined);
    assert.ok(!isUniqueViolation(lookalike));
    const wrapped = new HostpayError('UNKNOWN_ERROR', 'wrapped', {
      cause: Object.assign(new Error('anything'), { name: 'PostgresError', code: '23505' }),
    });
    assert.ok(isUniqueViolation(wrapped), 'found through the cause chain');
  });

  it('reports a refused connection as DATABASE_UNAVAILABLE, without the password', async () => {
    const server = await getTestServer();
    const url = new URL(server.urlFor(db.name));
    url.port = '1';
    url.password = 'secret-password-7c1d';
    const closed = postgres(url.toString(), { max: 1, connect_timeout: 2 });
    try {
      const error = await caught(getPayout(closed, { uniqueId: 'x' }));
      assert.ok(error instanceof HostpayError);
      assert.equal(error.code, 'DATABASE_UNAVAILABLE');
      assert.equal(error.retryable, true);
      assert.equal(error.details.reason, 'ECONNREFUSED');
      assert.doesNotMatch(`${error.message} ${JSON.stringify(error.details)}`, /secret-password-7c1d/);
    } finally {
      await closed.end({ timeout: 1 });
    }
  });

  it('reports a wrong password as DATABASE_UNAVAILABLE (28P01)', async () => {
    const server = await getTestServer();
    const url = new URL(server.urlFor(db.name));
    url.password = 'wrong-password-91ab';
    const refused = postgres(url.toString(), { max: 1 });
    try {
      const error = await caught(getPayout(refused, { uniqueId: 'x' }));
      assert.ok(error instanceof HostpayError);
      assert.deepEqual([error.code, error.details.reason], ['DATABASE_UNAVAILABLE', '28P01']);
      assert.doesNotMatch(error.message, /wrong-password-91ab/);
    } finally {
      await refused.end({ timeout: 1 });
    }
  });

  it('reports a connection the server terminated as DATABASE_UNAVAILABLE', async () => {
    const victim = postgres(db.url, { max: 1 });
    try {
      const [{ pid }] = (await victim`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
      const sleeping = caught(getPayout(victim, { uniqueId: 'x' }).then(() => victim`SELECT pg_sleep(10)`));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await db.sql`SELECT pg_terminate_backend(${pid})`;
      const error = await sleeping;
      assert.ok(isDatabaseUnavailable(error));
      assert.equal(toDatabaseError(error).name, 'HostpayError');
    } finally {
      await victim.end({ timeout: 1 });
    }
  });

  it('passes errors other than unavailability through unchanged', async () => {
    const error = await caught(db.sql`INSERT INTO scratch VALUES (1, 0)`);
    assert.equal(toDatabaseError(error), error);
  });
});
