import assert from 'node:assert/strict';
import { getAddress } from 'ethers';
import { mineBlocks, setNextBlockBaseFee } from '../../../local/anvil.js';
import { type RpcProxy, startRpcProxy } from '../../../local/rpcProxy.js';
import type { Asset } from '../../../shared/assets.js';
import type { ChainClient } from '../../../shared/chain/client.js';
import { readBaseFee } from '../../../shared/chain/fees.js';
import { listPayoutTransactions } from '../../../shared/db/index.js';
import { advancePayout as transferPayout } from '../../../shared/payout/index.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import {
  balanceOf,
  clientFor,
  freshAddress,
  minedNonce,
  minedTransaction,
  poolHashes,
} from '../../support/chain.js';
import { createPayout, transferParams } from '../../support/chainPayout.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('transferPayout: sending payouts on anvil, recorded in PostgreSQL', () => {
  let chain: TestChain;
  let db: TestDatabase;
  let proxy: RpcProxy;
  const clients: ChainClient[] = [];

  before(async () => {
    [chain, db] = await Promise.all([startTestChain(), createTestDatabase({ max: 20 })]);
    proxy = await startRpcProxy(chain.rpcUrl);
  });
  after(async () => {
    for (const client of clients) client.provider.destroy();
    await proxy?.stop();
    await Promise.all([chain?.stop(), db?.drop()]);
  });

  async function wallet(funds?: Parameters<TestChain['newWallet']>[0]): Promise<ChainClient> {
    const client = clientFor(chain, await chain.newWallet(funds), proxy.url);
    clients.push(client);
    return client;
  }

  async function storedNonce(client: ChainClient): Promise<number | null> {
    const [row] = await db.sql`
      SELECT next_nonce FROM wallet_nonces WHERE chain_id = ${chain.chainId} AND address = ${client.address.toLowerCase()}`;
    return row ? Number(row.next_nonce) : null;
  }

  const arrivals = [
    { symbol: 'eth', amount: 1_000_000_000_000_000_001n },
    { symbol: 'usdt', amount: 3_116_936n },
    { symbol: 'usdc', amount: 1n },
    { symbol: 'dai', amount: 10n ** 18n + 7n },
  ] as const;

  for (const { symbol, amount } of arrivals) {
    it(`${symbol}: confirmed with the exact base units, the signed bytes stored and marked mined`, async () => {
      const client = await wallet();
      const asset = chain.asset(symbol);
      const to = freshAddress();
      const payout = await createPayout(db.sql, { asset, to, amount });
      const outcome = await transferPayout(client, db.sql, transferParams(payout, asset));

      assert.equal(outcome.kind, 'confirmed');
      assert.equal(await balanceOf(chain, symbol, to), amount);
      const [stored, ...others] = await listPayoutTransactions(db.sql, { uniqueId: payout.uniqueId });
      assert.equal(others.length, 0);
      assert.equal(stored?.hash, outcome.txHash);
      assert.equal(stored?.status, 'mined');
      assert.equal(stored?.kind, 'transfer');
      assert.equal(stored?.nonce, 0);
      assert.ok(stored?.sentAt instanceof Date);
      const mined = await minedTransaction(chain, outcome.txHash);
      assert.equal(mined?.to, symbol === 'eth' ? getAddress(to) : chain.tokens[symbol]);
      assert.equal(mined?.value, symbol === 'eth' ? amount : 0n);
      assert.equal(await storedNonce(client), 1);
    });
  }

  const refusals = [
    {
      name: 'an empty wallet (eth)',
      symbol: 'eth',
      funds: { eth: 0n },
      amount: 1n,
      code: 'INSUFFICIENT_FUNDS',
    },
    {
      name: 'an empty token balance (usdt)',
      symbol: 'usdt',
      funds: { eth: 10n ** 18n },
      amount: 1n,
      code: 'INSUFFICIENT_FUNDS',
    },
    {
      name: 'a wrong recipient checksum',
      symbol: 'usdc',
      to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD',
      amount: 1n,
      code: 'INVALID_ADDRESS',
    },
    { name: 'a zero amount', symbol: 'dai', amount: 0n, code: 'INVALID_AMOUNT' },
    {
      name: 'a fee cap below the base fee',
      symbol: 'eth',
      amount: 1n,
      feeCapWei: 1n,
      code: 'GAS_PRICE_SPIKE',
    },
  ] as const;

  for (const c of refusals) {
    it(`refuses ${c.name} with ${c.code}: nothing signed, stored or broadcast, no nonce taken`, async () => {
      const client = await wallet('funds' in c ? c.funds : undefined);
      const asset = chain.asset(c.symbol);
      const payout = await createPayout(db.sql, {
        asset,
        to: 'to' in c ? c.to : freshAddress(),
        amount: c.amount,
      });
      proxy.reset();
      const overrides = 'feeCapWei' in c ? { feeCapWei: c.feeCapWei } : {};
      await assert.rejects(transferPayout(client, db.sql, transferParams(payout, asset, overrides)), {
        name: 'HostpayError',
        code: c.code,
      });
      assert.equal(proxy.counts().eth_sendRawTransaction, undefined);
      assert.deepEqual(await listPayoutTransactions(db.sql, { uniqueId: payout.uniqueId }), []);
      assert.equal(await storedNonce(client), null);
      assert.deepEqual(await poolHashes(chain), []);
    });
  }

  it('refuses when the network base fee rose above the cap since the last payout', async () => {
    const client = await wallet();
    const asset = chain.asset('usdt');
    const usual = await readBaseFee(client);
    const payout = await createPayout(db.sql, { asset, to: freshAddress(), amount: 5n });
    try {
      await setNextBlockBaseFee(chain.rpcUrl, 301_000_000_000n);
      await mineBlocks(chain.rpcUrl, 1);
      await assert.rejects(transferPayout(client, db.sql, transferParams(payout, asset)), {
        code: 'GAS_PRICE_SPIKE',
      });
    } finally {
      await setNextBlockBaseFee(chain.rpcUrl, usual);
      await mineBlocks(chain.rpcUrl, 1);
    }
    assert.deepEqual(await listPayoutTransactions(db.sql, { uniqueId: payout.uniqueId }), []);
  });

  it('refuses a payout whose stored token is no longer the configured one (UNSUPPORTED_CURRENCY)', async () => {
    const client = await wallet();
    const payout = await createPayout(db.sql, { asset: chain.asset('usdc'), to: freshAddress(), amount: 5n });
    const moved = { ...chain.asset('usdc'), address: chain.tokens.dai } as Asset;
    await assert.rejects(transferPayout(client, db.sql, transferParams(payout, moved)), {
      code: 'UNSUPPORTED_CURRENCY',
    });
  });

  it('one happy ETH payout costs 5 RPC calls in 3 HTTP requests, receipt wait included', async () => {
    const client = await wallet();
    const asset = chain.asset('eth');
    const payout = await createPayout(db.sql, { asset, to: freshAddress(), amount: 10n });
    proxy.reset();
    const outcome = await transferPayout(client, db.sql, transferParams(payout, asset));
    assert.equal(outcome.kind, 'confirmed');
    assert.deepEqual(proxy.counts(), {
      eth_getBlockByNumber: 1,
      eth_getBalance: 1,
      eth_getTransactionCount: 1,
      eth_sendRawTransaction: 1,
      eth_getTransactionReceipt: 1,
    });
    assert.equal(proxy.httpRequests(), 3);
  });

  it('100 payouts at once from one wallet: 100 transfers, nonces 0 to 99, none repeated', async function () {
    this.timeout(120_000);
    const client = await wallet();
    const asset = chain.asset('usdc');
    const payouts = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        createPayout(db.sql, { asset, to: freshAddress(), amount: BigInt(1_000 + i) }),
      ),
    );
    const outcomes = await Promise.all(
      payouts.map((payout) =>
        transferPayout(client, db.sql, transferParams(payout, asset, { receiptWaitMs: 30_000 })),
      ),
    );

    assert.deepEqual(
      outcomes.map((o) => o.kind),
      payouts.map(() => 'confirmed'),
    );
    const stored = (
      await Promise.all(payouts.map((p) => listPayoutTransactions(db.sql, { uniqueId: p.uniqueId })))
    ).map((list) => {
      assert.equal(list.length, 1);
      return list[0]!;
    });
    assert.deepEqual(
      stored.map((t) => t.nonce).sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(await minedNonce(chain, client.address), 100);
    assert.equal(await storedNonce(client), 100);
    const received = await Promise.all(payouts.map((p) => balanceOf(chain, 'usdc', p.recipient)));
    assert.deepEqual(
      received,
      payouts.map((p) => p.amountBaseUnits),
    );
  });
});
