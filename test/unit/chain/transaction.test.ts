import assert from 'node:assert/strict';
import { keccak256, Transaction, Wallet } from 'ethers';
import type { Asset } from '../../../shared/assets.js';
import { checkBalances } from '../../../shared/chain/balances.js';
import { type ChainClient, createChainClient } from '../../../shared/chain/client.js';
import { ERC20 } from '../../../shared/chain/erc20.js';
import { withMargin } from '../../../shared/chain/gas.js';
import { parseSignedTransaction, signTransaction } from '../../../shared/chain/sign.js';
import { buildTransferTransaction } from '../../../shared/chain/transfer.js';

const ETH: Asset = { symbol: 'eth', network: 'eth', chainId: 31337, decimals: 18, kind: 'native' };
const USDT: Asset = {
  symbol: 'usdt',
  network: 'eth',
  chainId: 31337,
  decimals: 6,
  kind: 'erc20',
  address: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
};
const TO = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const fees = { maxFeePerGas: 30n, maxPriorityFeePerGas: 2n };

describe('chain transactions (offline)', () => {
  // Never connected to a node: building and signing make no RPC call (the URL points nowhere).
  let chain: ChainClient;
  before(() => {
    chain = createChainClient({
      rpcUrl: 'http://127.0.0.1:9',
      chainId: 31337,
      privateKey: Wallet.createRandom().privateKey,
    });
  });
  after(() => chain.provider.destroy());

  it('eth: value to the recipient, no calldata', () => {
    const tx = buildTransferTransaction(chain, ETH, {
      to: TO,
      amount: 10n ** 18n,
      nonce: 4,
      fees,
      gasLimit: 21_000n,
    });
    assert.deepEqual(tx, {
      type: 2,
      chainId: 31337,
      nonce: 4,
      to: TO,
      value: 10n ** 18n,
      data: '0x',
      gasLimit: 21_000n,
      maxFeePerGas: 30n,
      maxPriorityFeePerGas: 2n,
    });
  });

  it('a token: transfer(to, amount) to the contract, value 0', () => {
    const tx = buildTransferTransaction(chain, USDT, {
      to: TO.toLowerCase(),
      amount: 1_005_000n,
      nonce: 0,
      fees,
      gasLimit: 60_000n,
    });
    assert.equal(tx.to, USDT.kind === 'erc20' ? USDT.address : '');
    assert.equal(tx.value, 0n);
    assert.equal(tx.data.slice(0, 10), '0xa9059cbb');
    assert.deepEqual(ERC20.decodeFunctionData('transfer', tx.data).toArray(), [TO, 1_005_000n]);
  });

  it('refuses a zero amount (INVALID_AMOUNT) and an asset of another chain (UNSUPPORTED_CURRENCY)', () => {
    const params = { to: TO, amount: 0n, nonce: 0, fees, gasLimit: 21_000n };
    assert.throws(() => buildTransferTransaction(chain, ETH, params), { code: 'INVALID_AMOUNT' });
    assert.throws(() => buildTransferTransaction(chain, { ...ETH, chainId: 1 }, { ...params, amount: 1n }), {
      code: 'UNSUPPORTED_CURRENCY',
    });
  });

  it('signs offline: the hash is keccak256 of the raw bytes, and the bytes read back to the same fields', async () => {
    const tx = buildTransferTransaction(chain, USDT, {
      to: TO,
      amount: 7n,
      nonce: 12,
      fees,
      gasLimit: 60_000n,
    });
    const signed = await signTransaction(chain, tx);
    assert.equal(signed.hash, keccak256(signed.raw));
    assert.equal(Transaction.from(signed.raw).from, chain.address);
    assert.deepEqual(parseSignedTransaction(signed.raw), signed);
    assert.deepEqual(
      { ...signed, raw: undefined, hash: undefined, from: undefined },
      {
        ...tx,
        raw: undefined,
        hash: undefined,
        from: undefined,
      },
    );
  });

  it('createChainClient refuses a bad key without repeating it', () => {
    const key = '0x1234';
    assert.throws(
      () => createChainClient({ rpcUrl: 'http://127.0.0.1:9', chainId: 1, privateKey: key }),
      (error: Error & { code?: string; cause?: unknown }) => {
        assert.equal(error.code, 'WALLET_UNLOCKED_FAILED');
        assert.ok(!error.message.includes(key));
        assert.equal(error.cause, undefined);
        return true;
      },
    );
  });

  describe('checkBalances', () => {
    const gasLimit = 21_000n;
    const gasCost = gasLimit * fees.maxFeePerGas;
    const cases = [
      { name: 'eth: exactly amount plus gas', asset: ETH, eth: 100n + gasCost, token: undefined, ok: true },
      { name: 'eth: one wei short', asset: ETH, eth: 100n + gasCost - 1n, token: undefined, ok: false },
      { name: 'token: tokens and gas', asset: USDT, eth: gasCost, token: 100n, ok: true },
      { name: 'token: one unit short', asset: USDT, eth: gasCost, token: 99n, ok: false },
      { name: 'token: no ETH for gas', asset: USDT, eth: gasCost - 1n, token: 100n, ok: false },
      { name: 'token: ETH does not pay for tokens', asset: USDT, eth: 10n ** 18n, token: 0n, ok: false },
    ];
    for (const c of cases) {
      it(`${c.ok ? 'passes' : 'INSUFFICIENT_FUNDS'}: ${c.name}`, () => {
        const run = () =>
          checkBalances({ eth: c.eth, token: c.token }, { asset: c.asset, amount: 100n, gasLimit, fees });
        if (c.ok) run();
        else assert.throws(run, { code: 'INSUFFICIENT_FUNDS' });
      });
    }
  });

  it('withMargin adds the percent, rounded up', () => {
    assert.deepEqual(
      [withMargin(51_000n, 20), withMargin(51_001n, 20), withMargin(100n, 0), withMargin(100n, 12.5)],
      [61_200n, 61_202n, 100n, 113n],
    );
  });
});
