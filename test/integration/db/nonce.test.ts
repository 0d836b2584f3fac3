import assert from 'node:assert/strict';
import postgres from 'postgres';
import { allocateNonce } from '../../../shared/db/allocateNonce.js';
import { claimPayout } from '../../../shared/db/claimPayout.js';
import { recordSignedTransaction } from '../../../shared/db/payoutTransactions.js';
import { payoutRequest, randomHash } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

/** A fresh wallet address per test, so the counters do not mix. */
function wallet(): string {
  return `0x${crypto.randomUUID().replaceAll('-', '').padEnd(40, 'a')}`;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('allocateNonce (real PostgreSQL)', () => {
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

  it('hands 200 concurrent allocations for one wallet 200 distinct, gap-free nonces', async () => {
    const address = wallet();
    const results = await Promise.all(
      range(200).map(() => allocateNonce(wide, { chainId: 1, address, chainPendingNonce: 0 })),
    );
    assert.deepEqual(
      results.map((result) => result.nonce).sort((a, b) => a - b),
      range(200),
    );
    const [row] = await db.sql`SELECT next_nonce FROM wallet_nonces WHERE address = ${address}`;
    assert.equal(row?.next_nonce, '200');
  });

  it('leaves no gap when transactions that allocated a nonce roll back', async () => {
    const address = wallet();
    const outcomes = await Promise.allSettled(
      range(100).map((i) =>
        wide.begin(async (tx) => {
          const request = payoutRequest();
          await claimPayout(tx, { ...request, leaseOwner: 'n', leaseSeconds: 60 });
          const { nonce } = await allocateNonce(tx, { chainId: 1, address, chainPendingNonce: 0 });
          // A crash between allocation and storing the signed bytes: the nonce goes back with the rollback.
          if (i % 10 === 3) throw new Error('crash before the signed transaction was stored');
          await recordSignedTransaction(tx, {
            uniqueId: request.uniqueId,
            chainId: 1,
            fromAddress: address,
            hash: randomHash(),
            nonce,
            kind: 'transfer',
            maxFeePerGas: 30_000_000_000n,
            maxPriorityFeePerGas: 2_000_000_000n,
            gasLimit: 65_000n,
            rawTransaction: '0x02f8',
          });
          return nonce;
        }),
      ),
    );
    assert.equal(outcomes.filter((outcome) => outcome.status === 'rejected').length, 10);
    const stored = await db.sql<{ nonce: string }[]>`
      SELECT nonce FROM payout_transactions WHERE from_address = ${address} ORDER BY nonce`;
    assert.deepEqual(
      stored.map((row) => Number(row.nonce)),
      range(90),
    );
    const next = await allocateNonce(db.sql, { chainId: 1, address, chainPendingNonce: 90 });
    assert.deepEqual(next, { nonce: 90, gap: false });
  });

  it('reconciles with the chain in both directions', async () => {
    const address = wallet();
    const steps: [number, { nonce: number; gap: boolean }, string][] = [
      [5, { nonce: 5, gap: false }, 'first use starts at the chain count'],
      [6, { nonce: 6, gap: false }, 'in step with the chain'],
      [12, { nonce: 12, gap: false }, 'the chain is ahead (the wallet was used elsewhere): take the chain'],
      [10, { nonce: 13, gap: true }, 'the database is ahead: never go back, report the gap'],
      [14, { nonce: 14, gap: false }, 'the chain caught up'],
    ];
    for (const [chainPendingNonce, expected, why] of steps) {
      assert.deepEqual(
        await allocateNonce(db.sql, { chainId: 1, address, chainPendingNonce }),
        expected,
        why,
      );
    }
  });

  it('keeps one counter per chain and per wallet, whatever the address case', async () => {
    const address = wallet();
    const upper = `0x${address.slice(2).toUpperCase()}`;
    assert.equal((await allocateNonce(db.sql, { chainId: 1, address, chainPendingNonce: 0 })).nonce, 0);
    assert.equal(
      (await allocateNonce(db.sql, { chainId: 1, address: upper, chainPendingNonce: 0 })).nonce,
      1,
    );
    assert.equal((await allocateNonce(db.sql, { chainId: 31337, address, chainPendingNonce: 0 })).nonce, 0);
    assert.equal(
      (await allocateNonce(db.sql, { chainId: 1, address: wallet(), chainPendingNonce: 0 })).nonce,
      0,
    );
  });
});
