/**
 * The function roles of sql/migrations: each function's database user, a member of its role only, runs the
 * data-access functions its function calls on a real PostgreSQL, and is refused DDL, deletes and the tables
 * its function never uses. A grant missing fails the first part; a grant too broad fails the second and the
 * exact-grants check.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { FunctionName } from '../../../shared/config/settings.js';
import {
  acquireLease,
  allocateNonce,
  claimPayout,
  countPayoutTransactions,
  fencePayout,
  getFailedTransaction,
  getPayout,
  getPayoutByTxHash,
  incrementAttempt,
  insertFailedTransaction,
  inTransaction,
  listFailedTransactions,
  listPayouts,
  listPayoutTransactions,
  listRetryableFailures,
  listStuckPayouts,
  listUnrecordedFailures,
  listWalletTransactionsInRange,
  markPayoutCancelled,
  markPayoutCancelRequested,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutRetryScheduled,
  markPayoutSubmitted,
  markRecovered,
  markTransactionMined,
  markTransactionSent,
  type PayoutTransaction,
  recordSignedTransaction,
  releaseLease,
  renewLease,
  reopenPayout,
  type SqlClient,
  updateFailedTransactionStatus,
} from '../../../shared/db/index.js';
import { FUNCTION_ROLES, quoteIdentifier } from '../../../shared/db/migrationRunner.js';
import { failureParams, payoutRequest, randomHash, WALLET } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const TABLES = [
  'failed_transactions',
  'payout_transactions',
  'payouts',
  'schema_migrations',
  'wallet_nonces',
];

/** What each role may do, table by table (written out here, independently of the migration). */
const EXPECTED: Record<FunctionName, Record<string, string[]>> = {
  executePayment: {
    failed_transactions: ['SELECT', 'UPDATE'],
    payout_transactions: ['INSERT', 'SELECT', 'UPDATE'],
    payouts: ['INSERT', 'SELECT', 'UPDATE'],
    wallet_nonces: ['INSERT', 'SELECT', 'UPDATE'],
  },
  retryPayment: {
    failed_transactions: ['SELECT', 'UPDATE'],
    payout_transactions: ['INSERT', 'SELECT', 'UPDATE'],
    payouts: ['INSERT', 'SELECT', 'UPDATE'],
    wallet_nonces: ['INSERT', 'SELECT', 'UPDATE'],
  },
  recordFailure: { failed_transactions: ['INSERT', 'SELECT', 'UPDATE'] },
  adminApi: {
    failed_transactions: ['SELECT', 'UPDATE'],
    payout_transactions: ['INSERT', 'SELECT', 'UPDATE'],
    payouts: ['SELECT', 'UPDATE'],
    wallet_nonces: ['INSERT', 'SELECT', 'UPDATE'],
  },
  recoverPayments: {
    failed_transactions: ['SELECT', 'UPDATE'],
    payout_transactions: ['SELECT'],
    payouts: ['SELECT', 'UPDATE'],
  },
};

/** A column of each table, for an UPDATE that changes nothing. */
const FIRST_COLUMN: Record<string, string> = {
  failed_transactions: 'status',
  payout_transactions: 'status',
  payouts: 'status',
  schema_migrations: 'version',
  wallet_nonces: 'next_nonce',
};

const CHAIN_ID = 1;
let nonceCounter = 0;

function signed(uniqueId: string, nonce: number, kind: 'transfer' | 'cancel' = 'transfer') {
  return {
    uniqueId,
    chainId: CHAIN_ID,
    fromAddress: WALLET,
    hash: randomHash(),
    nonce,
    kind,
    maxFeePerGas: 30_000_000_000n,
    maxPriorityFeePerGas: 2_000_000_000n,
    gasLimit: 65_000n,
    rawTransaction: `0x02${randomBytes(100).toString('hex')}`,
  } as const;
}

async function refused(what: Promise<unknown>, label: string): Promise<void> {
  await assert.rejects(
    what,
    (error: postgres.PostgresError) => {
      assert.equal(
        error.code,
        '42501',
        `${label}: expected insufficient_privilege, got ${error.code} ${error.message}`,
      );
      return true;
    },
    label,
  );
}

describe('function roles: each function can do its job and no more (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const pools = new Map<FunctionName, postgres.Sql>();
  const users: string[] = [];

  before(async () => {
    db = await createTestDatabase();
    for (const [functionName, role] of Object.entries(FUNCTION_ROLES) as [FunctionName, string][]) {
      // Like a Cloud SQL IAM user: a dotted name, LOGIN, a member of its function's role and nothing else.
      const user = `${role}-${process.pid}-${randomBytes(3).toString('hex')}@hostpay-test.iam`;
      const password = randomBytes(12).toString('hex');
      await db.sql.unsafe(`CREATE ROLE ${quoteIdentifier(user)} LOGIN PASSWORD '${password}'`);
      users.push(user);
      await db.sql.unsafe(`GRANT ${quoteIdentifier(role)} TO ${quoteIdentifier(user)}`);
      const url = new URL(db.url);
      url.username = encodeURIComponent(user);
      url.password = password;
      pools.set(functionName, postgres(url.toString(), { max: 3, onnotice: () => undefined }));
    }
  });

  after(async () => {
    await Promise.all([...pools.values()].map((pool) => pool.end({ timeout: 5 })));
    for (const user of users) await db.sql.unsafe(`DROP ROLE IF EXISTS ${quoteIdentifier(user)}`);
    await db?.drop();
  });

  const as = (name: FunctionName): SqlClient => pools.get(name)!;

  it('grants each role exactly its tables and privileges', async () => {
    for (const [functionName, role] of Object.entries(FUNCTION_ROLES) as [FunctionName, string][]) {
      const rows = await db.sql<{ table: string; privilege: string }[]>`
        SELECT table_name AS table, privilege_type AS privilege FROM information_schema.role_table_grants
        WHERE grantee = ${role} AND table_schema = 'public' ORDER BY table_name, privilege_type`;
      const actual: Record<string, string[]> = {};
      for (const row of rows) actual[row.table] = [...(actual[row.table] ?? []), row.privilege];
      assert.deepEqual(actual, EXPECTED[functionName], functionName);
      const [member] =
        await db.sql`SELECT rolcanlogin, rolcreaterole, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = ${role}`;
      assert.deepEqual(member, {
        rolcanlogin: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolsuper: false,
      });
    }
  });

  /** An attempt from claim to confirmation, as executePayment and retryPayment run it. */
  async function attempt(sql: SqlClient): Promise<void> {
    const request = payoutRequest();
    const { uniqueId } = request;
    const owner = `delivery-${randomBytes(3).toString('hex')}`;
    const claimed = await claimPayout(sql, { ...request, leaseOwner: owner, leaseSeconds: 60 });
    assert.ok(claimed);
    await incrementAttempt(sql, { uniqueId, leaseOwner: owner });
    assert.equal(await renewLease(sql, { uniqueId, leaseOwner: owner, leaseSeconds: 60 }), true);
    const lease = { uniqueId, owner, seconds: 60 };
    const stored = await inTransaction(sql, async (tx) => {
      await fencePayout(tx, lease, 'transfer');
      const { nonce } = await allocateNonce(tx, {
        chainId: CHAIN_ID,
        address: WALLET,
        chainPendingNonce: nonceCounter,
      });
      nonceCounter = nonce + 1;
      return recordSignedTransaction(tx, signed(uniqueId, nonce));
    });
    await markTransactionSent(sql, { hash: stored.hash });
    await markPayoutSubmitted(sql, { uniqueId, leaseOwner: owner });
    assert.equal(await countPayoutTransactions(sql, { uniqueId }), 1);
    assert.equal((await listPayoutTransactions(sql, { uniqueId })).length, 1);
    await listWalletTransactionsInRange(sql, {
      chainId: CHAIN_ID,
      address: WALLET,
      fromNonce: 0,
      toNonce: 1000,
    });
    await markPayoutRetryScheduled(sql, {
      uniqueId,
      leaseOwner: owner,
      errorCode: 'RPC_TIMEOUT',
      errorMessage: 'timeout',
    });
    // The payout had failed before and an operator's retry is running: its confirmation recovers the failure.
    await insertFailedTransaction(db.sql, failureParams({ uniqueId, status: 'failed_retryable' }));
    await updateFailedTransactionStatus(db.sql, { uniqueId, to: 'retry_scheduled' });
    assert.ok(await acquireLease(sql, { uniqueId, leaseOwner: owner, leaseSeconds: 60 }));
    const blockHash = randomHash();
    await markTransactionMined(sql, {
      hash: stored.hash,
      blockNumber: 10,
      blockHash,
      receiptStatus: 1,
      gasUsed: 50_000n,
    });
    await markPayoutConfirmed(sql, {
      uniqueId,
      leaseOwner: owner,
      txHash: stored.hash,
      blockNumber: 10,
      blockHash,
      gasUsed: 50_000n,
    });
    assert.equal((await getPayout(sql, { uniqueId }))?.status, 'confirmed');
    assert.equal((await getFailedTransaction(db.sql, { uniqueId }))?.status, 'recovered');

    // Another payout ends failed, its lease given up.
    const other = payoutRequest();
    await claimPayout(sql, { ...other, leaseOwner: owner, leaseSeconds: 60 });
    await markPayoutFailed(sql, {
      uniqueId: other.uniqueId,
      leaseOwner: owner,
      errorCode: 'INSUFFICIENT_FUNDS',
      errorMessage: 'empty',
    });
    await releaseLease(sql, { uniqueId: other.uniqueId, leaseOwner: owner });
  }

  for (const name of ['executePayment', 'retryPayment'] as const) {
    it(`${name}: claims, leases, allocates nonces, stores, sends and confirms a payout`, async () => {
      await attempt(as(name));
    });
  }

  it('recordFailure: records a failure, and records it again over a failed retry', async () => {
    const sql = as('recordFailure');
    const params = failureParams();
    assert.equal((await insertFailedTransaction(sql, params)).outcome, 'inserted');
    assert.equal((await insertFailedTransaction(sql, params)).outcome, 'unchanged');
    await updateFailedTransactionStatus(db.sql, { uniqueId: params.uniqueId, to: 'retry_scheduled' });
    assert.equal(
      (await insertFailedTransaction(sql, { ...params, errorCode: 'RPC_TIMEOUT' })).outcome,
      'updated',
    );
    assert.equal(
      (await getFailedTransaction(db.sql, { uniqueId: params.uniqueId }))?.status,
      'failed_pending_review',
    );
  });

  it('adminApi: lists and shows payouts and failures, changes their status, settles a cancel', async () => {
    const sql = as('adminApi');
    // A payout in flight (made by executePayment) that an operator cancels.
    const request = payoutRequest();
    const { uniqueId } = request;
    await claimPayout(as('executePayment'), { ...request, leaseOwner: 'delivery', leaseSeconds: 1 });
    await releaseLease(as('executePayment'), { uniqueId, leaseOwner: 'delivery' });
    await insertFailedTransaction(as('recordFailure'), failureParams({ uniqueId }));

    await listPayouts(sql, { limit: 10 });
    await listPayouts(sql, { txHash: randomHash(), status: ['received'], limit: 5 });
    await listFailedTransactions(sql, { status: 'failed_pending_review' });
    assert.ok(await getFailedTransaction(sql, { uniqueId }));
    await updateFailedTransactionStatus(sql, { uniqueId, to: 'failed_retryable', adminNote: 'checked' });
    await markPayoutCancelRequested(sql, { uniqueId });
    const owner = 'admin-cancel-1';
    assert.ok(await acquireLease(sql, { uniqueId, leaseOwner: owner, leaseSeconds: 60 }));
    let cancel: PayoutTransaction | undefined;
    await inTransaction(sql, async (tx) => {
      await fencePayout(tx, { uniqueId, owner, seconds: 60 }, 'any');
      const { nonce } = await allocateNonce(tx, {
        chainId: CHAIN_ID,
        address: WALLET,
        chainPendingNonce: nonceCounter,
      });
      nonceCounter = nonce + 1;
      cancel = await recordSignedTransaction(tx, signed(uniqueId, nonce, 'cancel'));
    });
    await markTransactionSent(sql, { hash: cancel!.hash });
    assert.equal((await getPayoutByTxHash(sql, { hash: cancel!.hash }))?.uniqueId, uniqueId);
    assert.equal((await listPayoutTransactions(sql, { uniqueId })).length, 1);
    await markPayoutCancelled(sql, { uniqueId, leaseOwner: owner });
    await releaseLease(sql, { uniqueId, leaseOwner: owner });
    assert.equal((await getPayout(sql, { uniqueId }))?.status, 'cancelled');
  });

  it('recoverPayments: finds retryable failures and stuck payouts, reopens a failed payout, marks recovered', async () => {
    const sql = as('recoverPayments');
    const request = payoutRequest();
    const { uniqueId } = request;
    await claimPayout(as('executePayment'), { ...request, leaseOwner: 'd', leaseSeconds: 60 });
    await markPayoutFailed(as('executePayment'), {
      uniqueId,
      leaseOwner: 'd',
      errorCode: 'RPC_TIMEOUT',
      errorMessage: 'x',
    });
    await insertFailedTransaction(
      as('recordFailure'),
      failureParams({ uniqueId, status: 'failed_retryable' }),
    );

    await listRetryableFailures(sql, { limit: 10, cooldownSeconds: 0, maxRetries: 3 });
    await listFailedTransactions(sql, { status: ['retry_scheduled'] });
    await listStuckPayouts(sql, { olderThanSeconds: 0, limit: 10 });
    await listUnrecordedFailures(sql, { olderThanSeconds: 0, limit: 10 });
    await listPayoutTransactions(sql, { uniqueId });
    await updateFailedTransactionStatus(sql, {
      uniqueId,
      to: 'retry_scheduled',
      expectedFrom: 'failed_retryable',
    });
    const payout = await getPayout(sql, { uniqueId });
    await reopenPayout(sql, { uniqueId, firstAttemptAt: payout!.firstAttemptAt ?? new Date() });
    await markPayoutFailed(sql, { uniqueId, errorCode: 'RPC_TIMEOUT', errorMessage: 'again' });
    await updateFailedTransactionStatus(sql, { uniqueId, to: 'retry_in_progress' });
    await markRecovered(sql, { uniqueId, recoveryTxHash: randomHash(), recoveredBy: 'recoverPayments' });
    assert.equal((await getFailedTransaction(sql, { uniqueId }))?.status, 'recovered');
  });

  for (const functionName of Object.keys(FUNCTION_ROLES) as FunctionName[]) {
    it(`${functionName}: no DDL, no deletes, nothing on tables it does not use`, async () => {
      const sql = pools.get(functionName)!;
      await refused(sql.unsafe('CREATE TABLE intruder (id int)'), 'CREATE TABLE');
      await refused(sql.unsafe('CREATE SCHEMA intruder'), 'CREATE SCHEMA');
      for (const table of TABLES) {
        await refused(sql.unsafe(`DROP TABLE ${table}`), `DROP TABLE ${table}`);
        await refused(sql.unsafe(`ALTER TABLE ${table} ADD COLUMN intruder int`), `ALTER TABLE ${table}`);
        await refused(sql.unsafe(`CREATE INDEX intruder ON ${table} ((1))`), `CREATE INDEX on ${table}`);
        await refused(sql.unsafe(`TRUNCATE ${table}`), `TRUNCATE ${table}`);
        await refused(sql.unsafe(`DELETE FROM ${table}`), `DELETE FROM ${table}`);
        const allowed = EXPECTED[functionName][table] ?? [];
        if (!allowed.includes('SELECT'))
          await refused(sql.unsafe(`SELECT 1 FROM ${table} LIMIT 1`), `SELECT ${table}`);
        if (!allowed.includes('UPDATE')) {
          const column = FIRST_COLUMN[table];
          await refused(
            sql.unsafe(`UPDATE ${table} SET ${column} = ${column} WHERE false`),
            `UPDATE ${table}`,
          );
        }
        if (!allowed.includes('INSERT')) {
          // Privileges are checked before any row: no NOT NULL violation comes first.
          await refused(sql.unsafe(`INSERT INTO ${table} DEFAULT VALUES`), `INSERT ${table}`);
        }
      }
      // Without the grant option PostgreSQL only warns (or refuses, holding no privilege at all); what
      // counts is that nothing was granted.
      await sql.unsafe('GRANT SELECT ON payouts TO PUBLIC').catch((error: postgres.PostgresError) => {
        assert.equal(error.code, '42501');
      });
      const [granted] = await db.sql`
        SELECT count(*)::int AS n FROM information_schema.role_table_grants
        WHERE grantee = 'PUBLIC' AND table_schema = 'public'`;
      assert.equal(granted?.n, 0);
    });
  }
});
