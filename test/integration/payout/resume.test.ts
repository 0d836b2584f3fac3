import assert from 'node:assert/strict';
import { AbiCoder, keccak256, Transaction, zeroPadValue } from 'ethers';
import { anvilRpc, dropTransaction, mineBlocks, setAutomine, setBalance } from '../../../local/anvil.js';
import { type RpcProxy, startRpcProxy } from '../../../local/rpcProxy.js';
import { broadcastRawTransaction } from '../../../shared/chain/broadcast.js';
import type { ChainClient } from '../../../shared/chain/client.js';
import { signTransaction } from '../../../shared/chain/sign.js';
import {
  listPayoutTransactions,
  markPayoutCancelRequested,
  type Payout,
  type PayoutTransaction,
} from '../../../shared/db/index.js';
import {
  mayStillPay,
  signAndStoreTransfer as signAndStore,
  type TransferPayoutParams,
  advancePayout as transferPayout,
} from '../../../shared/payout/index.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import { balanceOf, clientFor, freshAddress, minedNonce, poolHashes } from '../../support/chain.js';
import { createPayout, transferParams } from '../../support/chainPayout.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('transferPayout: resuming payouts that already have signed transactions', () => {
  let chain: TestChain;
  let db: TestDatabase;
  let proxy: RpcProxy;
  let client: ChainClient;

  before(async () => {
    [chain, db] = await Promise.all([startTestChain(), createTestDatabase()]);
    proxy = await startRpcProxy(chain.rpcUrl);
  });
  beforeEach(async () => {
    client = clientFor(chain, await chain.newWallet(), proxy.url);
  });
  afterEach(async () => {
    client.provider.destroy();
    await setAutomine(chain.rpcUrl, true);
    await mineBlocks(chain.rpcUrl, 1);
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([chain?.stop(), db?.drop()]);
  });

  async function payout(symbol: 'eth' | 'usdt' | 'usdc', amount: bigint): Promise<Payout> {
    return createPayout(db.sql, { asset: chain.asset(symbol), to: freshAddress(), amount });
  }

  const run = (p: Payout, overrides: Parameters<typeof transferParams>[2] = {}) =>
    transferPayout(client, db.sql, transferParams(p, chain.asset(p.currency as 'eth'), overrides));

  const stored = (p: Payout) => listPayoutTransactions(db.sql, { uniqueId: p.uniqueId });
  // Nothing was stored for these payouts before: the decision to sign saw none.
  const signAndStoreTransfer = (c: ChainClient, sql: typeof db.sql, params: TransferPayoutParams) =>
    signAndStore(c, sql, params, 0);
  const mayStillBeMined = (c: ChainClient, transactions: PayoutTransaction[]) =>
    mayStillPay(c, transactions, { reorgSafeDepth: 1 });

  it('a crash after sign-and-store, before broadcast: resuming sends the stored bytes, no second nonce', async () => {
    const p = await payout('usdt', 2_500_000n);
    const signed = await signAndStoreTransfer(client, db.sql, transferParams(p, chain.asset('usdt')));
    assert.equal(signed.status, 'signed');
    assert.deepEqual(await poolHashes(chain), [], 'the crash came before the broadcast');

    const outcome = await run(p);
    assert.equal(outcome.kind, 'confirmed');
    assert.equal(outcome.txHash, signed.hash);
    const [only, ...none] = await stored(p);
    assert.equal(none.length, 0);
    assert.equal(only?.rawTransaction, signed.rawTransaction);
    assert.equal(await minedNonce(chain, client.address), 1);
    assert.equal(await balanceOf(chain, 'usdt', p.recipient), 2_500_000n);
  });

  it('mining stopped: pending within the bound; mining resumed: resuming finds it mined, one transfer', async () => {
    await setAutomine(chain.rpcUrl, false);
    const p = await payout('eth', 777n);
    const started = Date.now();
    const first = await run(p, { receiptWaitMs: 1_500 });
    assert.equal(first.kind, 'pending');
    assert.ok(Date.now() - started < 3_000);
    assert.equal(first.kind === 'pending' && first.sentAt instanceof Date, true);
    assert.equal((await stored(p))[0]?.status, 'sent');

    await mineBlocks(chain.rpcUrl, 1);
    proxy.reset();
    const second = await run(p);
    assert.equal(second.kind, 'confirmed');
    assert.equal(second.txHash, first.txHash);
    assert.equal(proxy.counts().eth_sendRawTransaction, undefined, 'found by look-up, not sent again');
    assert.equal((await stored(p)).length, 1);
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 777n);
  });

  it('a dropped transaction is rebroadcast with the same hash and mined', async () => {
    await setAutomine(chain.rpcUrl, false);
    const p = await payout('usdc', 31n);
    const first = await run(p, { receiptWaitMs: 300 });
    assert.equal(first.kind, 'pending');
    await dropTransaction(chain.rpcUrl, first.txHash);
    assert.deepEqual(await poolHashes(chain), []);

    await setAutomine(chain.rpcUrl, true);
    const second = await run(p);
    assert.equal(second.kind, 'confirmed');
    assert.equal(second.txHash, first.txHash);
    assert.equal((await stored(p)).length, 1);
    assert.equal(await balanceOf(chain, 'usdc', p.recipient), 31n);
  });

  it('a resumed transaction still in the pool is "already known": waited for, not sent twice', async () => {
    await setAutomine(chain.rpcUrl, false);
    const p = await payout('eth', 5n);
    const first = await run(p, { receiptWaitMs: 300 });
    const again = await run(p, { receiptWaitMs: 300 });
    assert.deepEqual([first.kind, again.kind], ['pending', 'pending']);
    assert.equal(again.txHash, first.txHash);
    assert.deepEqual(await poolHashes(chain), [first.txHash]);
    await mineBlocks(chain.rpcUrl, 1);
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 5n);
  });

  it('a stuck transaction is replaced at the same nonce with higher fees; exactly one of the two is mined', async () => {
    await setAutomine(chain.rpcUrl, false);
    const p = await payout('usdt', 4_000_000n);
    const first = await run(p, { receiptWaitMs: 300 });
    assert.equal(first.kind, 'pending');

    const second = await run(p, { receiptWaitMs: 300, replaceAfterMs: 0 });
    assert.equal(second.kind, 'pending');
    const [original, replacement] = await stored(p);
    assert.equal(replacement?.kind, 'replacement');
    assert.equal(replacement?.nonce, original?.nonce);
    assert.ok(replacement!.maxFeePerGas >= (original!.maxFeePerGas * 115n) / 100n);
    assert.equal(second.txHash, replacement?.hash);

    await mineBlocks(chain.rpcUrl, 1);
    const third = await run(p);
    assert.equal(third.kind, 'confirmed');
    assert.equal(third.txHash, replacement?.hash);
    const statuses = (await stored(p)).map((t) => [t.kind, t.status]);
    assert.deepEqual(statuses, [
      ['transfer', 'replaced'],
      ['replacement', 'mined'],
    ]);
    assert.equal(await balanceOf(chain, 'usdt', p.recipient), 4_000_000n);
    assert.equal(await minedNonce(chain, client.address), 1);
  });

  it('a payout whose cancel was requested ends with the 0-value self-transfer mined, recorded, and nothing paid', async () => {
    await setAutomine(chain.rpcUrl, false);
    const p = await payout('usdc', 9_000_000n);
    assert.equal((await run(p, { receiptWaitMs: 300 })).kind, 'pending');

    const requested = await markPayoutCancelRequested(db.sql, { uniqueId: p.uniqueId });
    const asked = await run(requested, { receiptWaitMs: 300 });
    assert.equal(asked.kind, 'pending', 'the cancel is signed and sent, neither is mined');
    await mineBlocks(chain.rpcUrl, 1);

    const outcome = await run(requested);
    assert.equal(outcome.kind, 'cancelled');
    assert.deepEqual(
      (await stored(p)).map((t) => [t.kind, t.status]),
      [
        ['transfer', 'replaced'],
        ['cancel', 'mined'],
      ],
    );
    const cancel = Transaction.from((await stored(p))[1]!.rawTransaction);
    assert.deepEqual([cancel.to, cancel.value, cancel.data], [client.address, 0n, '0x']);
    assert.equal(await balanceOf(chain, 'usdc', p.recipient), 0n);
  });

  it('a crash between broadcast and database write: the look-up finds it mined, nothing is sent again', async () => {
    const p = await payout('eth', 12n);
    const signed = await signAndStoreTransfer(client, db.sql, transferParams(p, chain.asset('eth')));
    // Broadcast and mined, but the process died before recording it.
    await broadcastRawTransaction(client, signed.rawTransaction);
    assert.equal((await stored(p))[0]?.status, 'signed');

    proxy.reset();
    const outcome = await run(p);
    assert.equal(outcome.kind, 'confirmed');
    assert.equal(outcome.txHash, signed.hash);
    assert.equal(proxy.counts().eth_sendRawTransaction, undefined);
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 12n);
  });

  it('"nonce too low" on the send leads to a look-up; only a nonce used by something else gets a new transfer', async () => {
    const p = await payout('eth', 21n);
    proxy.reset();
    proxy.delay({ method: 'eth_sendRawTransaction', ms: 1_000, times: 1 });
    const running = run(p);
    let signed = (await stored(p))[0];
    for (let i = 0; signed === undefined && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      signed = (await stored(p))[0];
    }
    assert.ok(signed, 'the transfer was stored before its broadcast');
    // While the send is held up, another transaction of the wallet takes the nonce and is mined.
    const foreign = await signTransaction(client, {
      type: 2,
      chainId: chain.chainId,
      nonce: signed.nonce,
      to: freshAddress(),
      value: 1n,
      data: '0x',
      gasLimit: 21_000n,
      maxFeePerGas: signed.maxFeePerGas,
      maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
    });
    await anvilRpc(chain.rpcUrl, 'eth_sendRawTransaction', [foreign.raw]);

    const outcome = await running;
    assert.equal(outcome.kind, 'confirmed');
    const [first, second] = await stored(p);
    assert.deepEqual([first?.nonce, second?.nonce], [signed.nonce, signed.nonce + 1]);
    assert.equal(outcome.txHash, second?.hash);
    assert.equal(proxy.counts().eth_sendRawTransaction, 2);
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 21n);
  });

  it('a nonce taken by a transaction that is not this payout: signed again at a new nonce, paid once', async () => {
    const p = await payout('eth', 44n);
    const signed = await signAndStoreTransfer(client, db.sql, transferParams(p, chain.asset('eth')));
    // Someone else with the key uses the same nonce first.
    const foreign = await signTransaction(client, {
      type: 2,
      chainId: chain.chainId,
      nonce: signed.nonce,
      to: freshAddress(),
      value: 1n,
      data: '0x',
      gasLimit: 21_000n,
      maxFeePerGas: signed.maxFeePerGas,
      maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
    });
    await broadcastRawTransaction(client, foreign.raw);

    const outcome = await run(p);
    assert.equal(outcome.kind, 'confirmed');
    const [old, fresh] = await stored(p);
    assert.deepEqual([old?.nonce, fresh?.nonce], [signed.nonce, signed.nonce + 1]);
    assert.equal(outcome.txHash, fresh?.hash);
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 44n);
    assert.equal(await mayStillBeMined(client, [old!]), false, 'its nonce went to the other transaction');
  });

  it('a broadcast the node refuses for good takes its nonce back with a 0-value self-transfer, then fails', async () => {
    const p = await payout('eth', 10n ** 18n);
    const signed = await signAndStoreTransfer(client, db.sql, transferParams(p, chain.asset('eth')));
    // The balance drops between the check and the broadcast: enough for a cancel, not for the payout.
    await setBalance(chain.rpcUrl, client.address, 10n ** 16n);

    await assert.rejects(run(p), { code: 'INSUFFICIENT_FUNDS' });
    assert.deepEqual(
      (await stored(p)).map((t) => [t.kind, t.status, t.nonce]),
      [
        ['transfer', 'signed', signed.nonce],
        ['cancel', 'sent', signed.nonce],
      ],
    );
    assert.equal(await minedNonce(chain, client.address), signed.nonce + 1, 'no hole left in the nonces');
    assert.equal(
      await mayStillBeMined(client, await stored(p)),
      false,
      'the chain shows the cancellation holding the nonce: nothing of the payout can pay',
    );
    // The next look finds the cancellation at depth and tries again: still no funds, and nothing paid.
    await assert.rejects(run(p), { code: 'INSUFFICIENT_FUNDS' });
    assert.equal(
      await mayStillBeMined(client, await stored(p)),
      false,
      'the nonce is settled: the payout may fail',
    );
    assert.equal(await balanceOf(chain, 'eth', p.recipient), 0n);
  });

  it('a token transfer mined but reverted ends as reverted, not confirmed', async () => {
    const p = await payout('usdc', 50n);
    const signed = await signAndStoreTransfer(client, db.sql, transferParams(p, chain.asset('usdc')));
    // The tokens leave the wallet between the check and the broadcast (balanceOf is storage slot 3).
    const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [client.address, 3]));
    await anvilRpc(chain.rpcUrl, 'anvil_setStorageAt', [chain.tokens.usdc, slot, zeroPadValue('0x00', 32)]);
    assert.equal(await balanceOf(chain, 'usdc', client.address), 0n);

    const outcome = await run(p);
    assert.equal(outcome.kind, 'reverted');
    assert.equal(outcome.txHash, signed.hash);
    assert.equal((await stored(p))[0]?.status, 'mined');
    assert.equal(await balanceOf(chain, 'usdc', p.recipient), 0n);
  });
});
