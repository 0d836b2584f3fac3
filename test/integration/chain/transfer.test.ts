import assert from 'node:assert/strict';
import { Contract, getAddress, Wallet } from 'ethers';
import { ERC20, receiptShowsTransfer } from '../../../shared/chain/erc20.js';
import type { ChainClient } from '../../../shared/chain/index.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import {
  balanceOf,
  clientFor,
  freshAddress,
  minedTransaction,
  transferOnChain,
} from '../../support/chain.js';

describe('chain transfers on anvil', () => {
  let chain: TestChain;
  let client: ChainClient;

  before(async () => {
    chain = await startTestChain();
    client = clientFor(chain, await chain.newWallet());
  });
  after(async () => {
    client?.provider.destroy();
    await chain?.stop();
  });

  const cases = [
    { symbol: 'eth', amount: 1_234_567_890_123_456_789n },
    { symbol: 'usdt', amount: 1_005_000n },
    { symbol: 'usdc', amount: 999_999_999n },
    { symbol: 'dai', amount: 12_345_678_901_234_567_891n },
  ] as const;

  for (const { symbol, amount } of cases) {
    it(`${symbol}: the recipient receives exactly ${amount} base units`, async () => {
      const to = freshAddress();
      const asset = chain.asset(symbol);
      const before = await balanceOf(chain, symbol, client.address);
      const { signed, wait } = await transferOnChain(client, { asset, to, amount });

      assert.equal(wait.state, 'confirmed');
      assert.equal(await balanceOf(chain, symbol, to), amount);
      const after = await balanceOf(chain, symbol, client.address);
      if (symbol === 'eth') {
        assert.equal(before - after, amount + wait.receipt.gasUsed * wait.receipt.effectiveGasPrice);
      } else {
        assert.equal(before - after, amount);
      }
      assert.ok(receiptShowsTransfer(wait.receipt, asset, { from: client.address, to, amount }));
      assert.equal(wait.receipt.hash, signed.hash.toLowerCase());
    });
  }

  it('eth calls no contract: no calldata, value to the recipient, and the recipient holds no tokens', async () => {
    const to = freshAddress();
    const { wait } = await transferOnChain(client, { asset: chain.asset('eth'), to, amount: 5n });
    assert.equal(wait.state, 'confirmed');
    const tx = await minedTransaction(chain, wait.receipt.hash);
    assert.deepEqual(
      { to: tx?.to, value: tx?.value, input: tx?.input },
      { to: getAddress(to), value: 5n, input: '0x' },
    );
    assert.equal(wait.receipt.logs.length, 0);
    assert.equal(await balanceOf(chain, 'usdt', to), 0n);
  });

  it('usdt sends no ETH: value 0 to the token contract, the recipient gets tokens and no wei', async () => {
    const to = freshAddress();
    const { wait } = await transferOnChain(client, { asset: chain.asset('usdt'), to, amount: 7n });
    assert.equal(wait.state, 'confirmed');
    const tx = await minedTransaction(chain, wait.receipt.hash);
    assert.equal(tx?.to, chain.tokens.usdt);
    assert.equal(tx?.value, 0n);
    assert.deepEqual(ERC20.decodeFunctionData('transfer', tx?.input ?? '0x').toArray(), [getAddress(to), 7n]);
    assert.equal(await balanceOf(chain, 'eth', to), 0n);
    assert.equal(await balanceOf(chain, 'eth', chain.tokens.usdt), 0n);
    assert.equal(await balanceOf(chain, 'usdt', to), 7n);
  });

  it('the USDT-like token really returns nothing: decoding a bool from its transfer fails', async () => {
    const holder = new Wallet(await chain.newWallet(), client.provider);
    const boolAbi = ['function transfer(address to, uint256 amount) returns (bool)'];
    const usdt = new Contract(chain.tokens.usdt, boolAbi, holder);
    const usdc = new Contract(chain.tokens.usdc, boolAbi, holder);
    assert.equal(await usdc.getFunction('transfer').staticCall(freshAddress(), 1n), true);
    await assert.rejects(usdt.getFunction('transfer').staticCall(freshAddress(), 1n), { code: 'BAD_DATA' });
  });

  it('a successful receipt without the Transfer log is not taken as a token transfer', async () => {
    const to = freshAddress();
    const asset = chain.asset('usdc');
    const { wait } = await transferOnChain(client, { asset, to, amount: 3n });
    assert.equal(wait.state, 'confirmed');
    const receipt = wait.receipt;
    const cases = [
      { receipt: { ...receipt, logs: [] }, amount: 3n },
      { receipt, amount: 4n },
      { receipt: { ...receipt, status: 0 as const }, amount: 3n },
    ];
    for (const c of cases) {
      assert.equal(
        receiptShowsTransfer(c.receipt, asset, { from: client.address, to, amount: c.amount }),
        false,
      );
    }
    assert.equal(
      receiptShowsTransfer(receipt, chain.asset('dai'), { from: client.address, to, amount: 3n }),
      false,
    );
  });
});
