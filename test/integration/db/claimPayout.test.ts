import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { claimPayout } from '../../../shared/db/claimPayout.js';
import { getPayout } from '../../../shared/db/getPayout.js';
import { fencePayout, incrementAttempt, releaseLease, renewLease } from '../../../shared/db/payoutLease.js';
import {
  markPayoutCancelRequested,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutSubmitted,
} from '../../../shared/db/payoutStatus.js';
import { isCheckViolation, sqlState } from '../../../shared/db/sqlState.js';
import { HostpayError } from '../../../shared/errors.js';
import { payoutRequest, randomHash } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('claimPayout (payout ledger, real PostgreSQL)', () => {
  let db: TestDatabase;
  let wide: postgres.Sql;
  before(async () => {
    db = await createTestDatabase();
    wide = postgres(db.url, { max: 50 });
  });
  after(async () => {
    await wide.end();
    await db.drop();
  });

  it('gives exactly one of 50 concurrent claims of one unique_id the lease', async () => {
    const request = payoutRequest();
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        claimPayout(wide, { ...request, leaseOwner: `delivery-${i}`, leaseSeconds: 60 }),
      ),
    );
    const owners = claims.filter((claim) => claim.owned);
    assert.equal(owners.length, 1);
    assert.equal(owners[0]?.outcome, 'created');
    assert.deepEqual(new Set(claims.filter((c) => !c.owned).map((c) => c.outcome)), new Set(['leased']));
    const [{ count }] =
      (await db.sql`SELECT count(*)::int AS count FROM payouts WHERE unique_id = ${request.uniqueId}`) as unknown as [
        { count: number },
      ];
    assert.equal(count, 1);
    const stored = await getPayout(db.sql, { uniqueId: request.uniqueId });
    assert.equal(stored?.leaseOwner, owners[0]?.payout.leaseOwner);
  });

  it('gives exactly one of 50 concurrent claims the lease when the existing lease has expired', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'crashed', leaseSeconds: 0.05 });
    await sleep(100);
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        claimPayout(wide, { ...request, leaseOwner: `redelivery-${i}`, leaseSeconds: 60 }),
      ),
    );
    const owners = claims.filter((claim) => claim.owned);
    assert.equal(owners.length, 1);
    assert.equal(owners[0]?.outcome, 'acquired');
  });

  it('lets a new delivery take over an expired lease and fences the old owner out', async () => {
    const request = payoutRequest();
    const first = await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 0.2 });
    assert.equal(first.outcome, 'created');
    const early = await claimPayout(db.sql, { ...request, leaseOwner: 'b', leaseSeconds: 60 });
    assert.deepEqual([early.owned, early.outcome, early.payout.leaseOwner], [false, 'leased', 'a']);
    await sleep(300);
    const late = await claimPayout(db.sql, { ...request, leaseOwner: 'b', leaseSeconds: 60 });
    assert.deepEqual([late.owned, late.outcome, late.payout.leaseOwner], [true, 'acquired', 'b']);
    await assert.rejects(
      markPayoutSubmitted(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a' }),
      (error) => {
        assert.ok(error instanceof HostpayError);
        assert.equal(error.code, 'LEASE_LOST');
        assert.equal(error.details.reason, 'lease_lost');
        return true;
      },
    );
    assert.equal(await releaseLease(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a' }), false);
    assert.equal(
      await renewLease(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a', leaseSeconds: 60 }),
      false,
    );
    const submitted = await markPayoutSubmitted(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'b' });
    assert.equal(submitted.status, 'submitted');
  });

  it('fence: goes on only under a held, unexpired lease, renews it, and refuses a transfer once a cancel is asked', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 0.3 });
    const lease = { uniqueId: request.uniqueId, owner: 'a', seconds: 60 };
    const fenced = await db.sql.begin((tx) => fencePayout(tx, lease, 'transfer'));
    assert.ok(fenced.leaseExpiresAt!.getTime() > Date.now() + 50_000, 'passing the fence renews the lease');
    await markPayoutCancelRequested(db.sql, { uniqueId: request.uniqueId });
    await assert.rejects(
      db.sql.begin((tx) => fencePayout(tx, lease, 'transfer')),
      { code: 'CANCEL_REQUESTED' },
    );
    await db.sql.begin((tx) => fencePayout(tx, lease, 'any'));
    await assert.rejects(
      db.sql.begin((tx) => fencePayout(tx, { ...lease, owner: 'b' }, 'any')),
      { code: 'LEASE_LOST' },
    );
    await db.sql`UPDATE payouts SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE unique_id = ${request.uniqueId}`;
    await assert.rejects(
      db.sql.begin((tx) => fencePayout(tx, lease, 'any')),
      { code: 'LEASE_LOST' },
    );
    assert.equal(
      await renewLease(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a', leaseSeconds: 60 }),
      false,
      'an expired lease is not renewed: another delivery may take it',
    );
  });

  it('renews the lease for the delivery that already holds it', async () => {
    const request = payoutRequest();
    const first = await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 5 });
    const again = await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 600 });
    assert.equal(again.outcome, 'acquired');
    assert.ok(again.payout.leaseExpiresAt!.getTime() > first.payout.leaseExpiresAt!.getTime() + 500_000);
  });

  it('frees the row for the next delivery when the lease is released', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
    assert.equal(await releaseLease(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a' }), true);
    const next = await claimPayout(db.sql, { ...request, leaseOwner: 'b', leaseSeconds: 60 });
    assert.deepEqual([next.owned, next.outcome], [true, 'acquired']);
  });

  it('returns a confirmed payout as confirmed without leasing it', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
    const txHash = randomHash();
    await markPayoutConfirmed(db.sql, {
      uniqueId: request.uniqueId,
      txHash,
      blockNumber: 19_000_000,
      blockHash: randomHash(),
      gasUsed: 46_109n,
    });
    const claim = await claimPayout(db.sql, { ...request, leaseOwner: 'b', leaseSeconds: 60 });
    assert.deepEqual([claim.owned, claim.outcome, claim.payout.leaseOwner], [false, 'confirmed', null]);
    assert.equal(claim.payout.confirmedTxHash, txHash);
    assert.equal(claim.payout.confirmedGasUsed, 46_109n);
    assert.equal(claim.payout.confirmedBlockNumber, 19_000_000);
  });

  it('returns a failed payout as failed without leasing it', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
    await markPayoutFailed(db.sql, {
      uniqueId: request.uniqueId,
      errorCode: 'INSUFFICIENT_FUNDS',
      errorMessage: 'empty',
    });
    const claim = await claimPayout(db.sql, { ...request, leaseOwner: 'b', leaseSeconds: 60 });
    assert.deepEqual([claim.owned, claim.outcome], [false, 'failed']);
    assert.equal(claim.payout.lastErrorCode, 'INSUFFICIENT_FUNDS');
  });

  it('refuses a delivery whose recipient, asset or amount differ from the stored payout', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 0.01 });
    await sleep(50);
    const cases: [Partial<typeof request>, string[]][] = [
      [{ recipient: '0x0000000000000000000000000000000000000001' }, ['recipient']],
      [{ assetAddress: null, currency: 'eth', decimals: 18 }, ['currency', 'assetAddress', 'decimals']],
      [{ amountDecimal: '3.116937', amountBaseUnits: 3116937n }, ['amountDecimal', 'amountBaseUnits']],
      [{ chainId: 11155111 }, ['chainId']],
    ];
    for (const [change, fields] of cases) {
      const claim = await claimPayout(db.sql, { ...request, ...change, leaseOwner: 'b', leaseSeconds: 60 });
      assert.deepEqual([claim.owned, claim.outcome, claim.mismatchedFields], [false, 'mismatch', fields]);
    }
    const sameButOtherCase = await claimPayout(db.sql, {
      ...request,
      recipient: request.recipient.toLowerCase(),
      amountDecimal: '3.116936350',
      leaseOwner: 'b',
      leaseSeconds: 60,
    });
    assert.deepEqual([sameButOtherCase.owned, sameButOtherCase.outcome], [true, 'acquired']);
  });

  it('keeps a 42- and a 255-character unique_id and both amounts exactly', async () => {
    const ids = [`batch_${crypto.randomUUID()}`, `${'u'.repeat(254)}x`];
    assert.deepEqual(
      ids.map((id) => id.length),
      [42, 255],
    );
    const amounts: [string, bigint, number][] = [
      ['0.000000000000000001', 1n, 18],
      ['123456789.123456789012345678', 123456789123456789012345678n, 18],
    ];
    for (const uniqueId of ids) {
      for (const [amountDecimal, amountBaseUnits, decimals] of amounts) {
        const id = `${uniqueId.slice(0, uniqueId.length - 1)}${amountBaseUnits === 1n ? 'a' : 'b'}`;
        const request = payoutRequest({
          uniqueId: id,
          currency: 'eth',
          assetAddress: null,
          decimals,
          amountDecimal,
          amountBaseUnits,
        });
        await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
        const stored = await getPayout(db.sql, { uniqueId: id });
        assert.equal(stored?.uniqueId, id);
        assert.equal(stored?.amountDecimal, amountDecimal);
        assert.equal(stored?.amountBaseUnits, amountBaseUnits);
      }
    }
  });

  it('refuses a 256-character unique_id with SQLSTATE 22001 rather than cutting it', async () => {
    const request = payoutRequest({ uniqueId: 'u'.repeat(256) });
    await assert.rejects(claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 }), (error) => {
      assert.equal(sqlState(error), '22001');
      return true;
    });
  });

  it('refuses negative amounts and malformed addresses in the database itself', async () => {
    const cases: Partial<ReturnType<typeof payoutRequest>>[] = [
      { amountBaseUnits: -1n },
      { amountDecimal: '-0.5' },
      { recipient: '0x1234' },
      { assetAddress: 'usdt' },
      { decimals: 77 },
    ];
    for (const change of cases) {
      await assert.rejects(
        claimPayout(db.sql, { ...payoutRequest(change), leaseOwner: 'a', leaseSeconds: 60 }),
        (error) => isCheckViolation(error),
      );
    }
  });

  it('counts attempts and stamps the first one, only while the lease is held', async () => {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
    const one = await incrementAttempt(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a' });
    const two = await incrementAttempt(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'a' });
    assert.deepEqual([one.attemptCount, two.attemptCount], [1, 2]);
    assert.ok(one.firstAttemptAt);
    assert.deepEqual(two.firstAttemptAt, one.firstAttemptAt);
    await assert.rejects(
      incrementAttempt(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'b' }),
      HostpayError,
    );
  });

  it('works unchanged inside sql.begin and rolls back with the transaction', async () => {
    const request = payoutRequest();
    await assert.rejects(
      db.sql.begin(async (tx) => {
        const claim = await claimPayout(tx, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
        assert.equal(claim.outcome, 'created');
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(await getPayout(db.sql, { uniqueId: request.uniqueId }), null);
  });
});
