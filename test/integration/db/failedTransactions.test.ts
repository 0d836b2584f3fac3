import assert from 'node:assert/strict';
import {
  FAILED_TRANSACTION_STATUSES,
  type FailedTransactionStatus,
} from '../../../shared/db/failedTransactionRow.js';
import {
  FAILED_TRANSACTION_TRANSITIONS,
  markRecovered,
  updateFailedTransactionStatus,
} from '../../../shared/db/failedTransactionStatus.js';
import { insertFailedTransaction } from '../../../shared/db/insertFailedTransaction.js';
import {
  getFailedTransaction,
  listFailedTransactions,
  listRetryableFailures,
} from '../../../shared/db/listFailedTransactions.js';
import { HostpayError } from '../../../shared/errors.js';
import { batchId, failureParams, randomHash } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('failed_transactions (real PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ max: 20 });
  });
  after(() => db.drop());

  /** A recorded failure put straight into `status`, as setup; recovered needs its timestamp. */
  async function failureIn(status: FailedTransactionStatus): Promise<string> {
    const { row } = await insertFailedTransaction(db.sql, failureParams());
    await db.sql`
      UPDATE failed_transactions
      SET status = ${status}, recovered_at = ${status === 'recovered' ? new Date() : null}
      WHERE unique_id = ${row.uniqueId}`;
    return row.uniqueId;
  }

  describe('insertFailedTransaction', () => {
    it('stores every field once; a repeated delivery changes nothing', async () => {
      const params = failureParams({
        lastErrorDetails: { rpc: 'insufficient funds for gas * price + value' },
      });
      const first = await insertFailedTransaction(db.sql, params);
      const again = await insertFailedTransaction(db.sql, {
        ...params,
        errorCode: 'UNKNOWN_ERROR',
        attemptCount: 9,
      });
      assert.equal(first.outcome, 'inserted');
      assert.equal(again.outcome, 'unchanged');
      assert.deepEqual(again.row, first.row);
      const stored = await getFailedTransaction(db.sql, { uniqueId: params.uniqueId });
      assert.deepEqual(
        stored && {
          uniqueId: stored.uniqueId,
          cnApiId: stored.cnApiId,
          fromCurrency: stored.fromCurrency,
          fromNetwork: stored.fromNetwork,
          fromAmount: stored.fromAmount,
          payinAddress: stored.payinAddress,
          context: stored.context,
          errorCode: stored.errorCode,
          errorMessage: stored.errorMessage,
          lastErrorDetails: stored.lastErrorDetails,
          attemptCount: stored.attemptCount,
          status: stored.status,
          retryCount: stored.retryCount,
        },
        {
          uniqueId: params.uniqueId,
          cnApiId: params.cnApiId,
          fromCurrency: 'usdt',
          fromNetwork: 'eth',
          fromAmount: '3.116936350000000000',
          payinAddress: params.payinAddress,
          context: 'batch',
          errorCode: 'INSUFFICIENT_FUNDS',
          errorMessage: params.errorMessage,
          lastErrorDetails: { rpc: 'insufficient funds for gas * price + value' },
          attemptCount: 1,
          status: 'failed_pending_review',
          retryCount: 0,
        },
      );
      assert.ok(stored?.lastAttemptTimestamp instanceof Date);
      const [{ count }] = (await db.sql`
        SELECT count(*)::int AS count FROM failed_transactions WHERE unique_id = ${params.uniqueId}`) as unknown as [
        { count: number },
      ];
      assert.equal(count, 1);
    });

    it('records one row when the same failure arrives 20 times at once', async () => {
      const params = failureParams();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => insertFailedTransaction(db.sql, params)),
      );
      assert.deepEqual(results.map((result) => result.outcome).sort(), [
        'inserted',
        ...Array<string>(19).fill('unchanged'),
      ]);
    });

    it('replaces the error of a failed retry and puts the row back where the transitions allow', async () => {
      for (const from of ['retry_scheduled', 'retry_in_progress'] as const) {
        const uniqueId = await failureIn(from);
        const result = await insertFailedTransaction(
          db.sql,
          failureParams({
            uniqueId,
            errorCode: 'NETWORK_TIMEOUT',
            attemptCount: 3,
            status: 'failed_retryable',
          }),
        );
        assert.equal(result.outcome, 'updated');
        assert.deepEqual(
          [result.row.status, result.row.errorCode, result.row.attemptCount],
          ['failed_retryable', 'NETWORK_TIMEOUT', 3],
        );
      }
    });

    it('keeps a 42- and a 255-character unique_id and both amounts exactly', async () => {
      const ids = [batchId(), `${'f'.repeat(254)}z`];
      assert.deepEqual(
        ids.map((id) => id.length),
        [42, 255],
      );
      const amounts = [
        ['0.000000000000000001', '0.000000000000000001'],
        ['123456789.123456789012345678', '123456789.123456789012345678'],
      ];
      for (const [index, uniqueId] of ids.entries()) {
        const [fromAmount, stored] = amounts[index]!;
        await insertFailedTransaction(db.sql, failureParams({ uniqueId, fromAmount }));
        const row = await getFailedTransaction(db.sql, { uniqueId });
        assert.equal(row?.uniqueId, uniqueId);
        assert.equal(row?.fromAmount, stored);
      }
    });

    it('records a request whose amount or text cannot be stored as such, keeping what was asked', async () => {
      const cases = ['1e-7', 'NaN', '-5e+300', '0.0000000000000000001', '123456789012345678901'];
      for (const fromAmount of cases) {
        const { row } = await insertFailedTransaction(
          db.sql,
          failureParams({
            fromAmount,
            errorCode: 'INVALID_AMOUNT',
            lastErrorDetails: { field: 'from_amount' },
          }),
        );
        assert.equal(row.fromAmount, null);
        assert.deepEqual(row.lastErrorDetails, { field: 'from_amount', requested_from_amount: fromAmount });
      }
      const { row } = await insertFailedTransaction(
        db.sql,
        failureParams({
          fromCurrency: 'us\u0000dt',
          payinAddress: '0x\u0000',
          errorCode: 'UNSUPPORTED_CURRENCY',
        }),
      );
      assert.deepEqual([row.fromCurrency, row.payinAddress], ['us\uFFFDdt', '0x\uFFFD']);
      const negative = await insertFailedTransaction(db.sql, failureParams({ fromAmount: '-1.5' }));
      assert.equal(negative.row.fromAmount, '-1.500000000000000000');
    });
  });

  describe('updateFailedTransactionStatus', () => {
    for (const from of FAILED_TRANSACTION_STATUSES) {
      for (const to of FAILED_TRANSACTION_STATUSES) {
        const allowed = FAILED_TRANSACTION_TRANSITIONS[from].includes(to);
        it(`${allowed ? 'allows' : 'refuses'} ${from} -> ${to}`, async () => {
          const uniqueId = await failureIn(from);
          if (allowed) {
            const row = await updateFailedTransactionStatus(db.sql, { uniqueId, to });
            assert.equal(row?.status, to);
            return;
          }
          await assert.rejects(updateFailedTransactionStatus(db.sql, { uniqueId, to }), (error) => {
            assert.ok(error instanceof HostpayError);
            assert.equal(error.code, 'STATUS_TRANSITION_REFUSED');
            assert.equal(error.message, `failed transaction ${uniqueId} cannot change from ${from} to ${to}`);
            assert.deepEqual(error.details, { uniqueId, from, to, reason: 'not_allowed' });
            return true;
          });
          assert.equal((await getFailedTransaction(db.sql, { uniqueId }))?.status, from);
        });
      }
    }

    it('returns null for an unknown unique_id', async () => {
      assert.equal(
        await updateFailedTransactionStatus(db.sql, { uniqueId: 'nope', to: 'failed_cancelled' }),
        null,
      );
    });

    it('lets exactly one of 10 concurrent schedulers take a retryable failure', async () => {
      const uniqueId = await failureIn('failed_retryable');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          updateFailedTransactionStatus(db.sql, {
            uniqueId,
            to: 'retry_scheduled',
            expectedFrom: 'failed_retryable',
          }),
        ),
      );
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') {
          assert.ok(result.reason instanceof HostpayError);
          assert.equal(result.reason.details.reason, 'status_changed');
        }
      }
      const row = await getFailedTransaction(db.sql, { uniqueId });
      assert.deepEqual([row?.status, row?.retryCount], ['retry_scheduled', 1]);
      assert.ok(row?.lastRetryAttempt instanceof Date);
    });

    it('appends operator notes line by line', async () => {
      const uniqueId = await failureIn('failed_pending_review');
      await updateFailedTransactionStatus(db.sql, {
        uniqueId,
        to: 'failed_retryable',
        adminNote: 'wallet refilled',
      });
      const row = await updateFailedTransactionStatus(db.sql, {
        uniqueId,
        to: 'failed_cancelled',
        adminNote: 'paid by hand',
      });
      assert.equal(row?.adminNotes, 'wallet refilled\npaid by hand');
    });

    it('marks a failure recovered with the transaction that paid it', async () => {
      const uniqueId = await failureIn('retry_in_progress');
      const hash = randomHash().toUpperCase().replace('0X', '0x');
      const row = await markRecovered(db.sql, {
        uniqueId,
        recoveryTxHash: hash,
        recoveredBy: 'retryPayment',
      });
      assert.deepEqual(
        [row?.status, row?.recoveryTxHash, row?.recoveredBy],
        ['recovered', hash.toLowerCase(), 'retryPayment'],
      );
      assert.ok(row?.recoveredAt instanceof Date);
      await assert.rejects(
        markRecovered(db.sql, { uniqueId, recoveryTxHash: hash, recoveredBy: 'again' }),
        HostpayError,
      );
    });
  });

  describe('listing', () => {
    let list: TestDatabase;
    const day = (n: number) => new Date(Date.UTC(2026, 0, n));
    before(async () => {
      list = await createTestDatabase();
      const rows: [string, FailedTransactionStatus, string, string, number][] = [
        ['a', 'failed_pending_review', 'INSUFFICIENT_FUNDS', 'instant', 1],
        ['b', 'failed_retryable', 'NETWORK_TIMEOUT', 'batch', 2],
        ['c', 'failed_retryable', 'RATE_LIMIT_EXCEEDED', 'threshold', 3],
        ['d', 'failed_cancelled', 'INSUFFICIENT_FUNDS', 'batch', 4],
        ['e', 'failed_retryable', 'NETWORK_TIMEOUT', 'batch', 5],
        ['f', 'recovered', 'NETWORK_TIMEOUT', 'instant', 6],
      ];
      for (const [uniqueId, status, errorCode, context, n] of rows) {
        await insertFailedTransaction(list.sql, failureParams({ uniqueId, errorCode, context }));
        await list.sql`
          UPDATE failed_transactions SET status = ${status}, created_at = ${day(n)},
            recovered_at = ${status === 'recovered' ? day(n) : null}
          WHERE unique_id = ${uniqueId}`;
      }
    });
    after(() => list.drop());

    const ids = (items: { uniqueId: string }[]) => items.map((item) => item.uniqueId);

    const cases: [string, Parameters<typeof listFailedTransactions>[1], string[], number][] = [
      ['everything, newest first', {}, ['f', 'e', 'd', 'c', 'b', 'a'], 6],
      ['by status', { status: 'failed_retryable' }, ['e', 'c', 'b'], 3],
      ['by several statuses', { status: ['failed_cancelled', 'recovered'] }, ['f', 'd'], 2],
      ['by error code', { errorCode: 'INSUFFICIENT_FUNDS' }, ['d', 'a'], 2],
      ['by context', { context: 'batch' }, ['e', 'd', 'b'], 3],
      ['by time range, until exclusive', { since: day(2), until: day(5) }, ['d', 'c', 'b'], 3],
      [
        'by every filter at once',
        { status: 'failed_retryable', errorCode: 'NETWORK_TIMEOUT', context: 'batch', since: day(3) },
        ['e'],
        1,
      ],
      ['a page, with the total of all matches', { limit: 2, offset: 2 }, ['d', 'c'], 6],
      ['past the end, still with the total', { limit: 2, offset: 10 }, [], 6],
    ];
    for (const [name, params, expected, total] of cases) {
      it(`lists ${name}`, async () => {
        const page = await listFailedTransactions(list.sql, params);
        assert.deepEqual({ items: ids(page.items), total: page.total }, { items: expected, total });
      });
    }

    it('lists the retryable ones oldest first, after their cooldown and within the retry cap', async () => {
      assert.deepEqual(
        ids(await listRetryableFailures(list.sql, { limit: 10, cooldownSeconds: 60, maxRetries: 3 })),
        ['b', 'c', 'e'],
      );
      assert.deepEqual(
        ids(await listRetryableFailures(list.sql, { limit: 2, cooldownSeconds: 60, maxRetries: 3 })),
        ['b', 'c'],
      );
      await list.sql`UPDATE failed_transactions SET retry_count = 3 WHERE unique_id = 'b'`;
      await list.sql`UPDATE failed_transactions SET retry_count = 1, last_retry_attempt = now() WHERE unique_id = 'c'`;
      assert.deepEqual(
        ids(await listRetryableFailures(list.sql, { limit: 10, cooldownSeconds: 60, maxRetries: 3 })),
        ['e'],
      );
      assert.deepEqual(
        ids(await listRetryableFailures(list.sql, { limit: 10, cooldownSeconds: 0, maxRetries: 3 })),
        ['c', 'e'],
      );
    });
  });
});
