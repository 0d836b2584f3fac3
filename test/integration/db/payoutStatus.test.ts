import assert from 'node:assert/strict';
import { claimPayout } from '../../../shared/db/claimPayout.js';
import type { SqlClient } from '../../../shared/db/client.js';
import { PAYOUT_STATUSES, type Payout, type PayoutStatus } from '../../../shared/db/payoutRow.js';
import {
  markPayoutCancelled,
  markPayoutCancelRequested,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutPendingConfirmation,
  markPayoutRetryScheduled,
  markPayoutSubmitted,
  PAYOUT_TRANSITIONS,
  reopenPayout,
} from '../../../shared/db/payoutStatus.js';
import { HostpayError } from '../../../shared/errors.js';
import { payoutRequest, randomHash } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const moveTo: Record<PayoutStatus, (sql: SqlClient, uniqueId: string) => Promise<Payout>> = {
  received: (sql, uniqueId) => reopenPayout(sql, { uniqueId, firstAttemptAt: new Date() }),
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
  cancel_requested: (sql, uniqueId) => markPayoutCancelRequested(sql, { uniqueId }),
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
      // Covered below: a check of a cancel_requested payout keeps that status.
      if (from === 'cancel_requested' && to === 'pending_confirmation') continue;
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

  it('a check of a cancel_requested payout keeps cancel_requested and gives up the lease', async () => {
    const uniqueId = await payoutIn('cancel_requested');
    const checked = await markPayoutPendingConfirmation(db.sql, { uniqueId, leaseOwner: 'setup' });
    assert.deepEqual([checked.status, checked.leaseOwner], ['cancel_requested', null]);
  });

  it('a delivery whose lease expired or was taken moves nothing: LEASE_LOST', async () => {
    const uniqueId = await payoutIn('received');
    await db.sql`UPDATE payouts SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE unique_id = ${uniqueId}`;
    await assert.rejects(markPayoutPendingConfirmation(db.sql, { uniqueId, leaseOwner: 'setup' }), {
      code: 'LEASE_LOST',
    });
    await db.sql`UPDATE payouts SET lease_owner = 'other', lease_expires_at = clock_timestamp() + interval '1 minute' WHERE unique_id = ${uniqueId}`;
    await assert.rejects(
      markPayoutFailed(db.sql, {
        uniqueId,
        leaseOwner: 'setup',
        errorCode: 'INVALID_ADDRESS',
        errorMessage: 'x',
      }),
      { code: 'LEASE_LOST' },
    );
    assert.equal(
      (await db.sql`SELECT status FROM payouts WHERE unique_id = ${uniqueId}`)[0]?.status,
      'received',
    );
  });

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
    const cycleStart = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    const reopened = await reopenPayout(db.sql, { uniqueId, firstAttemptAt: cycleStart });
    assert.deepEqual(
      [reopened.status, reopened.attemptCount, reopened.lastErrorCode, reopened.lastErrorMessage],
      ['received', 0, null, null],
    );
    assert.equal(reopened.cycle, 2, 'a reopen starts the next attempt cycle');
    assert.equal(reopened.firstAttemptAt?.getTime(), cycleStart.getTime(), 'named after the new cycle');
  });

  it('reports an unknown payout as not found', async () => {
    await assert.rejects(markPayoutSubmitted(db.sql, { uniqueId: 'no-such-payout' }), (error) => {
      assert.ok(error instanceof HostpayError);
      assert.equal(error.details.reason, 'not_found');
      return true;
    });
  });
});
