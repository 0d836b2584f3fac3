import assert from 'node:assert/strict';
import { type RpcProxy, startRpcProxy } from '../../../local/rpcProxy.js';
import { broadcastRawTransaction } from '../../../shared/chain/broadcast.js';
import type { ChainClient } from '../../../shared/chain/client.js';
import { preflightTransfer } from '../../../shared/chain/preflight.js';
import { signTransaction } from '../../../shared/chain/sign.js';
import { buildTransferTransaction } from '../../../shared/chain/transfer.js';
import { classifyError } from '../../../shared/classifier/index.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import { balanceOf, clientFor, DEFAULT_POLICY, freshAddress, transferOnChain } from '../../support/chain.js';

describe('chain RPC calls per payout, counted by a proxy in front of anvil', () => {
  let chain: TestChain;
  let proxy: RpcProxy;
  let client: ChainClient;

  before(async () => {
    chain = await startTestChain();
    proxy = await startRpcProxy(chain.rpcUrl);
    client = clientFor(chain, await chain.newWallet(), proxy.url);
  });
  afterEach(() => proxy.clearFaults());
  after(async () => {
    client?.provider.destroy();
    await proxy?.stop();
    await chain?.stop();
  });

  it('one ETH payout: 5 calls in 3 HTTP requests (reads batched, send, one receipt look-up)', async () => {
    proxy.reset();
    const { wait } = await transferOnChain(client, {
      asset: chain.asset('eth'),
      to: freshAddress(),
      amount: 1n,
    });
    assert.equal(wait.state, 'confirmed');
    assert.deepEqual(proxy.counts(), {
      eth_getBlockByNumber: 1,
      eth_getBalance: 1,
      eth_getTransactionCount: 1,
      eth_sendRawTransaction: 1,
      eth_getTransactionReceipt: 1,
    });
    assert.equal(proxy.httpRequests(), 3);
    assert.equal(proxy.counts().eth_chainId, undefined, 'the network is static: no chain id probes');
  });

  it('one token payout: 7 calls in 3 HTTP requests (balanceOf and the gas estimate join the batch)', async () => {
    proxy.reset();
    const { wait } = await transferOnChain(client, {
      asset: chain.asset('usdt'),
      to: freshAddress(),
      amount: 1n,
    });
    assert.equal(wait.state, 'confirmed');
    assert.equal(proxy.totalCalls(), 7);
    assert.equal(proxy.httpRequests(), 3);
    assert.deepEqual(
      proxy.methods().slice(5),
      ['eth_sendRawTransaction', 'eth_getTransactionReceipt'],
      'reads first, then one send and one look-up',
    );
  });

  it('a 429 on the send is RATE_LIMIT_EXCEEDED after one call, no retries inside ethers; the same bytes go later', async () => {
    const to = freshAddress();
    const pre = await preflightTransfer(client, {
      asset: chain.asset('eth'),
      to,
      amount: 2n,
      policy: DEFAULT_POLICY,
      gasMarginPercent: 20,
    });
    const signed = await signTransaction(
      client,
      buildTransferTransaction(client, chain.asset('eth'), {
        to,
        amount: 2n,
        nonce: pre.chainPendingNonce,
        fees: pre.fees,
        gasLimit: pre.gasLimit,
      }),
    );
    proxy.rateLimit({ method: 'eth_sendRawTransaction', times: 1 });
    proxy.reset();
    const error = await broadcastRawTransaction(client, signed.raw).then(
      () => assert.fail('the send was rate limited'),
      (caught: unknown) => caught,
    );
    assert.equal(classifyError(error).code, 'RATE_LIMIT_EXCEEDED');
    assert.deepEqual(proxy.counts(), { eth_sendRawTransaction: 1 });
    assert.equal(await balanceOf(chain, 'eth', to), 0n);

    assert.deepEqual(await broadcastRawTransaction(client, signed.raw), {
      hash: signed.hash,
      outcome: 'sent',
    });
    assert.equal(await balanceOf(chain, 'eth', to), 2n);
  });

  it('a 429 on the batched reads fails the preflight as RATE_LIMIT_EXCEEDED with one HTTP request', async () => {
    proxy.rateLimit({ method: 'eth_getBalance', times: 1 });
    proxy.reset();
    const error = await preflightTransfer(client, {
      asset: chain.asset('dai'),
      to: freshAddress(),
      amount: 1n,
      policy: DEFAULT_POLICY,
      gasMarginPercent: 20,
    }).then(
      () => assert.fail('the reads were rate limited'),
      (caught: unknown) => caught,
    );
    assert.equal(classifyError(error).code, 'RATE_LIMIT_EXCEEDED');
    assert.equal(proxy.httpRequests(), 1);
  });

  it('a dropped connection is a transient NETWORK_TIMEOUT, not a permanent failure', async () => {
    proxy.drop({ times: 1 });
    const error = await client.provider.send('eth_blockNumber', []).then(
      () => assert.fail('the connection was dropped'),
      (caught: unknown) => caught,
    );
    const verdict = classifyError(error);
    assert.equal(verdict.code, 'NETWORK_TIMEOUT');
    assert.equal(verdict.retryable, true);
  });
});
