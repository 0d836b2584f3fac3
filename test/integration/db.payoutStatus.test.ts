import assert from 'node:assert/strict';
import { claimPayout } from '../../shared/db/claimPayout.js';
import type { SqlClient } from '../../shared/db/client.js';
import { PAYOUT_STATUSES, type Payout, type PayoutStatus } from '../../shared/db/payoutRow.js';
import {
  markPayoutCancelled,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutPendingConfirmation,
  markPayoutRetryScheduled,
  markPayoutSubmitted,
  PAYOUT_TRANSITIONS,
  reopenPayout,
} from '../../shared/db/payoutStatus.js';
import { HostpayError } from '../../shared/errors.js';
import { payoutRequest, randomHash } from '../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const moveTo: Record<PayoutStatus, (sql: SqlClient, uniqueId: string) => Promise<Payout>> = {
  received: (sql, uniqueId) => reopenPayout(sql, { uniqueId }),
  retry_scheduled: (sql, uniqueId) =>
    markPayoutRetryScheduled(sql, { uniqueId, errorCode: 'NETWORK_TIMEOUT', errorMessage: 'timeout' }),
  submitted: (sql, uniqueId) => markPayoutSubmitted(sql, { uniqueId }),
  pending_confirmation: (sql, uniqueId) => markPayoutPendingConfirmation(sql, { uniqueId }),
  confirmed: (sql, uniqueId) =>
    markPayoutConfirmed(sql, {
      uniqueId,
      txHash: randomHash(),
      blockNumber: 7,
      blockHash: randomHash(),
      gasUsed: 21_000n,
    }),
  failed: (sql, uniqueId) =>
    markPayoutFailed(sql, { uniqueId, errorCode: 'INVALID_ADDRESS', errorMessage: 'bad' }),
  cancelled: (sql, uniqueId) => markPayoutCancelled(sql, { uniqueId }),
};

describe('payout status transitions (real PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  /** A leased payout put straight into `status`, as setup; confirmed needs its receipt fields. */
  async function payoutIn(status: PayoutStatus): Promise<string> {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'setup', leaseSeconds: 60 });
    await db.sql`
      UPDATE payouts SET status = ${status},
        confirmed_tx_hash = ${status === 'confirmed' ? randomHash() : null},
        confirmed_block_number = ${status === 'confirmed' ? 1 : null},
        confirmed_at = ${status === 'confirmed' ? new Date() : null}
      WHERE unique_id = ${request.uniqueId}`;
    return request.uniqueId;
  }

  for (const from of PAYOUT_STATUSES) {
    for (const to of PAYOUT_STATUSES) {
      const allowed = PAYOUT_TRANSITIONS[from].includes(to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} -> ${to}`, async () => {
        const uniqueId = await payoutIn(from);
        if (allowed) {
          const payout = await moveTo[to](db.sql, uniqueId);
          assert.equal(payout.status, to);
          return;
        }
        await assert.rejects(moveTo[to](db.sql, uniqueId), (error) => {
          assert.ok(error instanceof HostpayError);
          assert.equal(error.code, 'STATUS_TRANSITION_REFUSED');
          assert.equal(error.message, `payout ${uniqueId} cannot change from ${from} to ${to}`);
          assert.deepEqual(error.details, { uniqueId, from, to, reason: 'not_allowed' });
          return true;
        });
        const [row] = await db.sql`SELECT status FROM payouts WHERE unique_id = ${uniqueId}`;
        assert.equal(row?.status, from);
      });
    }
  }

  it('never lets a confirmed or cancelled payout change again', () => {
    assert.deepEqual(PAYOUT_TRANSITIONS.confirmed, []);
    assert.deepEqual(PAYOUT_TRANSITIONS.cancelled, []);
  });

  it('gives up the lease when the delivery stops working on the payout, keeps it while submitting', async () => {
    const uniqueId = await payoutIn('received');
    const submitted = await markPayoutSubmitted(db.sql, { uniqueId, leaseOwner: 'setup' });
    assert.equal(submitted.leaseOwner, 'setup');
    const pending = await markPayoutPendingConfirmation(db.sql, { uniqueId, leaseOwner: 'setup' });
    assert.deepEqual([pending.leaseOwner, pending.leaseExpiresAt], [null, null]);
  });

  it('stores the last error of a scheduled retry and clears it when a failed payout is reopened', async () => {
    const uniqueId = await payoutIn('received');
    const retry = await markPayoutRetryScheduled(db.sql, {
      uniqueId,
      errorCode: 'RATE_LIMIT_EXCEEDED',
      errorMessage: '429 from the RPC endpoint',
    });
    assert.deepEqual(
      [retry.lastErrorCode, retry.lastErrorMessage],
      ['RATE_LIMIT_EXCEEDED', '429 from the RPC endpoint'],
    );
    await db.sql`UPDATE payouts SET attempt_count = 3 WHERE unique_id = ${uniqueId}`;
    await markPayoutFailed(db.sql, {
      uniqueId,
      errorCode: 'RATE_LIMIT_EXCEEDED',
      errorMessage: 'attempts spent',
    });
    const reopened = await reopenPayout(db.sql, { uniqueId });
    assert.deepEqual(
      [reopened.status, reopened.attemptCount, reopened.lastErrorCode, reopened.lastErrorMessage],
      ['received', 0, null, null],
    );
  });

  it('reports an unknown payout as not found', async () => {
    await assert.rejects(markPayoutSubmitted(db.sql, { uniqueId: 'no-such-payout' }), (error) => {
      assert.ok(error instanceof HostpayError);
      assert.equal(error.details.reason, 'not_found');
      return true;
    });
  });
});
