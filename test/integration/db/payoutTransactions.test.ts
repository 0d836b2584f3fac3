import assert from 'node:assert/strict';
import { claimPayout } from '../../../shared/db/claimPayout.js';
import {
  listPayoutTransactions,
  listWalletTransactionsInRange,
  markTransactionDropped,
  markTransactionMined,
  markTransactionReorged,
  markTransactionSent,
  recordSignedTransaction,
  type SignedTransactionParams,
} from '../../../shared/db/payoutTransactions.js';
import { isCheckViolation } from '../../../shared/db/sqlState.js';
import { HostpayError } from '../../../shared/errors.js';
import { payoutRequest, randomHash, WALLET } from '../../support/dbFixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('payout transactions (real PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  async function newPayout(): Promise<string> {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'a', leaseSeconds: 60 });
    return request.uniqueId;
  }

  function signed(
    uniqueId: string,
    overrides: Partial<SignedTransactionParams> = {},
  ): SignedTransactionParams {
    return {
      uniqueId,
      chainId: 1,
      fromAddress: WALLET,
      hash: randomHash(),
      nonce: 7,
      kind: 'transfer',
      maxFeePerGas: 300_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      gasLimit: 78_000n,
      rawTransaction: '0x02f8b20107843b9aca00',
      ...overrides,
    };
  }

  it('stores the signed bytes, fees and nonce before broadcast, exactly', async () => {
    const uniqueId = await newPayout();
    const huge = 2n ** 256n - 1n;
    const params = signed(uniqueId, { maxFeePerGas: huge, maxPriorityFeePerGas: huge - 1n });
    const stored = await recordSignedTransaction(db.sql, params);
    assert.deepEqual(
      {
        status: stored.status,
        sentAt: stored.sentAt,
        hash: stored.hash,
        nonce: stored.nonce,
        fromAddress: stored.fromAddress,
        maxFeePerGas: stored.maxFeePerGas,
        maxPriorityFeePerGas: stored.maxPriorityFeePerGas,
        gasLimit: stored.gasLimit,
        rawTransaction: stored.rawTransaction,
      },
      {
        status: 'signed',
        sentAt: null,
        hash: params.hash,
        nonce: 7,
        fromAddress: WALLET.toLowerCase(),
        maxFeePerGas: huge,
        maxPriorityFeePerGas: huge - 1n,
        gasLimit: 78_000n,
        rawTransaction: params.rawTransaction,
      },
    );
  });

  it('stores the same signed transaction once however often it is recorded', async () => {
    const uniqueId = await newPayout();
    const params = signed(uniqueId);
    const first = await recordSignedTransaction(db.sql, params);
    const again = await recordSignedTransaction(db.sql, {
      ...params,
      hash: params.hash.toUpperCase().replace('0X', '0x'),
    });
    assert.equal(again.id, first.id);
    assert.equal((await listPayoutTransactions(db.sql, { uniqueId })).length, 1);
  });

  it('refuses a transaction for an unknown payout, or a hash that belongs to another payout', async () => {
    await assert.rejects(recordSignedTransaction(db.sql, signed('no-such-payout')), HostpayError);
    const owner = await newPayout();
    const other = await newPayout();
    const params = signed(owner);
    await recordSignedTransaction(db.sql, params);
    await assert.rejects(recordSignedTransaction(db.sql, { ...params, uniqueId: other }), HostpayError);
  });

  it('refuses fees whose priority part exceeds the cap, in the database', async () => {
    const uniqueId = await newPayout();
    await assert.rejects(
      recordSignedTransaction(db.sql, signed(uniqueId, { maxFeePerGas: 1n, maxPriorityFeePerGas: 2n })),
      isCheckViolation,
    );
  });

  it('follows a transfer, its replacement and the one that was mined', async () => {
    const uniqueId = await newPayout();
    const transfer = await recordSignedTransaction(db.sql, signed(uniqueId, { nonce: 11 }));
    const sent = await markTransactionSent(db.sql, { hash: transfer.hash });
    assert.equal(sent.status, 'sent');
    assert.ok(sent.sentAt instanceof Date);
    const resent = await markTransactionSent(db.sql, { hash: transfer.hash });
    assert.deepEqual(resent.sentAt, sent.sentAt);

    const replacement = await recordSignedTransaction(
      db.sql,
      signed(uniqueId, { nonce: 11, kind: 'replacement', maxFeePerGas: 345_000_000_000n }),
    );
    await markTransactionSent(db.sql, { hash: replacement.hash });
    const blockHash = randomHash();
    const mined = await markTransactionMined(db.sql, {
      hash: replacement.hash,
      blockNumber: 123,
      blockHash,
      receiptStatus: 1,
      gasUsed: 46_109n,
    });
    assert.deepEqual(
      [mined.status, mined.minedBlockNumber, mined.minedBlockHash, mined.receiptStatus, mined.gasUsed],
      ['mined', 123, blockHash, 1, 46_109n],
    );
    const all = await listPayoutTransactions(db.sql, { uniqueId });
    assert.deepEqual(
      all.map((tx) => [tx.kind, tx.status]),
      [
        ['transfer', 'replaced'],
        ['replacement', 'mined'],
      ],
    );

    const reorged = await markTransactionReorged(db.sql, { hash: replacement.hash });
    assert.deepEqual([reorged.status, reorged.minedBlockNumber, reorged.receiptStatus], ['sent', null, null]);
    assert.deepEqual(
      (await listPayoutTransactions(db.sql, { uniqueId })).map((t) => [t.kind, t.status]),
      [
        ['transfer', 'sent'],
        ['replacement', 'sent'],
      ],
      'a reorg can bring back the transaction it had replaced',
    );
  });

  it('marks a vanished transaction dropped and sends it again with the same bytes', async () => {
    const uniqueId = await newPayout();
    const tx = await recordSignedTransaction(db.sql, signed(uniqueId, { nonce: 20 }));
    await markTransactionSent(db.sql, { hash: tx.hash });
    assert.equal((await markTransactionDropped(db.sql, { hash: tx.hash })).status, 'dropped');
    const again = await markTransactionSent(db.sql, { hash: tx.hash });
    assert.deepEqual([again.status, again.rawTransaction], ['sent', tx.rawTransaction]);
    await assert.rejects(markTransactionSent(db.sql, { hash: randomHash() }), HostpayError);
  });

  it('lists the unmined transactions of a wallet in a nonce range with their payouts, to fill a gap', async () => {
    const address = `0x${'b'.repeat(40)}`;
    const nonces = [30, 31, 32, 33];
    const hashes: string[] = [];
    for (const nonce of nonces) {
      const uniqueId = await newPayout();
      const tx = await recordSignedTransaction(db.sql, signed(uniqueId, { nonce, fromAddress: address }));
      hashes.push(tx.hash);
    }
    await markTransactionMined(db.sql, {
      hash: hashes[0]!,
      blockNumber: 1,
      blockHash: randomHash(),
      receiptStatus: 1,
      gasUsed: 21_000n,
    });
    const unmined = await listWalletTransactionsInRange(db.sql, {
      chainId: 1,
      address,
      fromNonce: 30,
      toNonce: 33,
    });
    assert.deepEqual(
      unmined.map((tx) => [tx.nonce, tx.payoutStatus]),
      [
        [31, 'received'],
        [32, 'received'],
      ],
    );
  });
});
