import assert from 'node:assert/strict';
import { parseUnits, Wallet } from 'ethers';
import { mineBlocks, setNextBlockBaseFee } from '../../../local/anvil.js';
import { type RpcProxy, startRpcProxy } from '../../../local/rpcProxy.js';
import type { Asset } from '../../../shared/assets.js';
import { readBaseFee } from '../../../shared/chain/fees.js';
import type { ChainClient } from '../../../shared/chain/index.js';
import { preflightTransfer } from '../../../shared/chain/preflight.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import { clientFor, DEFAULT_POLICY, freshAddress, minedNonce, poolHashes } from '../../support/chain.js';

const ETH = 10n ** 18n;

describe('chain refusals before anything is signed', () => {
  let chain: TestChain;
  let proxy: RpcProxy;
  const clients: ChainClient[] = [];

  before(async () => {
    chain = await startTestChain();
    proxy = await startRpcProxy(chain.rpcUrl);
  });
  after(async () => {
    for (const client of clients) client.provider.destroy();
    await proxy?.stop();
    await chain?.stop();
  });

  function client(key: string): ChainClient {
    const created = clientFor(chain, key, proxy.url);
    clients.push(created);
    return created;
  }

  async function assertRefused(
    key: string,
    params: { asset: Asset; to?: string; amount: bigint; policy?: typeof DEFAULT_POLICY },
    code: string,
  ): Promise<void> {
    const wallet = client(key);
    proxy.reset();
    const noncesBefore = await minedNonce(chain, wallet.address);
    await assert.rejects(
      preflightTransfer(wallet, {
        asset: params.asset,
        to: params.to ?? freshAddress(),
        amount: params.amount,
        policy: params.policy ?? DEFAULT_POLICY,
        gasMarginPercent: 20,
      }),
      { name: 'HostpayError', code },
    );
    assert.equal(proxy.counts().eth_sendRawTransaction, undefined, 'nothing was broadcast');
    assert.deepEqual(await poolHashes(chain), []);
    assert.equal(await minedNonce(chain, wallet.address), noncesBefore);
  }

  const funds = (eth: bigint, mint: { usdt?: bigint; dai?: bigint } = {}) => ({ eth, mint });

  const cases = [
    { name: 'eth from an empty wallet', funds: funds(0n), symbol: 'eth', amount: 1n },
    {
      name: 'eth that covers the amount but not the gas',
      funds: funds(ETH),
      symbol: 'eth',
      amount: ETH,
    },
    { name: 'usdt from a wallet without tokens', funds: funds(ETH), symbol: 'usdt', amount: 1n },
    {
      name: 'usdt one base unit above the token balance',
      funds: funds(ETH, { usdt: 1_000_000n }),
      symbol: 'usdt',
      amount: 1_000_001n,
    },
    {
      name: 'dai with tokens but no ETH for gas',
      funds: funds(0n, { dai: ETH }),
      symbol: 'dai',
      amount: ETH,
    },
  ] as const;

  for (const c of cases) {
    it(`INSUFFICIENT_FUNDS: ${c.name}`, async () => {
      const key = await chain.newWallet(c.funds);
      await assertRefused(key, { asset: chain.asset(c.symbol), amount: c.amount }, 'INSUFFICIENT_FUNDS');
    });
  }

  const badAddresses = [
    { name: 'wrong checksum', to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' },
    { name: 'all upper case', to: '0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED' },
    { name: 'the zero address', to: '0x0000000000000000000000000000000000000000' },
    { name: 'too short', to: '0x52908400098527886e0f7030069857d2e4169e' },
    { name: 'not hex', to: '0x52908400098527886e0f7030069857d2e4169eZZ' },
    { name: 'no 0x', to: '52908400098527886e0f7030069857d2e4169ee7' },
    { name: 'an ENS name', to: 'vitalik.eth' },
  ];

  for (const c of badAddresses) {
    it(`INVALID_ADDRESS without a single RPC call: ${c.name}`, async () => {
      const key = await chain.newWallet();
      await assertRefused(key, { asset: chain.asset('usdc'), to: c.to, amount: 1n }, 'INVALID_ADDRESS');
      assert.equal(proxy.totalCalls(), 0);
    });
  }

  it('INVALID_AMOUNT for zero, without a single RPC call', async () => {
    const key = await chain.newWallet();
    await assertRefused(key, { asset: chain.asset('eth'), amount: 0n }, 'INVALID_AMOUNT');
    assert.equal(proxy.totalCalls(), 0);
  });

  it('UNSUPPORTED_CURRENCY when the configured token address holds no contract', async () => {
    const key = await chain.newWallet();
    const ghost: Asset = { ...chain.asset('usdc'), address: Wallet.createRandom().address } as Asset;
    await assertRefused(key, { asset: ghost, amount: 1n }, 'UNSUPPORTED_CURRENCY');
  });

  it('GAS_PRICE_SPIKE when the cap is below base fee plus tip', async () => {
    const key = await chain.newWallet();
    const baseFee = await readBaseFee(client(key));
    const policy = { ...DEFAULT_POLICY, maxFeePerGas: baseFee + DEFAULT_POLICY.maxPriorityFeePerGas - 1n };
    await assertRefused(key, { asset: chain.asset('eth'), amount: 1n, policy }, 'GAS_PRICE_SPIKE');
  });

  it('GAS_PRICE_SPIKE when the network base fee jumps above the default 300 gwei cap', async () => {
    const key = await chain.newWallet();
    const usual = await readBaseFee(client(key));
    try {
      await setNextBlockBaseFee(chain.rpcUrl, parseUnits('400', 'gwei'));
      await mineBlocks(chain.rpcUrl, 1);
      await assertRefused(key, { asset: chain.asset('usdt'), amount: 1n }, 'GAS_PRICE_SPIKE');
    } finally {
      // evm_revert does not bring anvil's base fee back: set it back by hand.
      await setNextBlockBaseFee(chain.rpcUrl, usual);
      await mineBlocks(chain.rpcUrl, 1);
    }
  });

  it('a payout the wallet can afford passes with fees under the cap and the pending nonce', async () => {
    const key = await chain.newWallet();
    const wallet = client(key);
    proxy.reset();
    const pre = await preflightTransfer(wallet, {
      asset: chain.asset('dai'),
      to: freshAddress(),
      amount: ETH,
      policy: DEFAULT_POLICY,
      gasMarginPercent: 20,
    });
    assert.equal(pre.chainPendingNonce, 0);
    assert.ok(pre.fees.maxFeePerGas <= DEFAULT_POLICY.maxFeePerGas);
    assert.equal(pre.fees.maxFeePerGas, 2n * pre.baseFeePerGas + DEFAULT_POLICY.maxPriorityFeePerGas);
    assert.ok(pre.gasLimit > 21_000n && pre.gasLimit < 100_000n, `gas limit ${pre.gasLimit}`);
    assert.equal(proxy.httpRequests(), 1, 'all reads in one batch');
    assert.deepEqual(proxy.counts(), {
      eth_getBlockByNumber: 1,
      eth_getBalance: 1,
      eth_call: 1,
      eth_getTransactionCount: 1,
      eth_estimateGas: 1,
    });
  });
});
