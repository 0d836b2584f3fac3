import assert from 'node:assert/strict';
import { anvilRpc, mineBlocks, setAutomine } from '../../../local/anvil.js';
import { type RpcProxy, startRpcProxy } from '../../../local/rpcProxy.js';
import { broadcastRawTransaction } from '../../../shared/chain/broadcast.js';
import type { ChainClient } from '../../../shared/chain/client.js';
import { checkConfirmation, getReceipt, waitForReceipt } from '../../../shared/chain/receipt.js';
import { signTransaction } from '../../../shared/chain/sign.js';
import { buildTransferTransaction } from '../../../shared/chain/transfer.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import { balanceOf, clientFor, freshAddress } from '../../support/chain.js';

describe('chain receipts: bounded waits, depth and reorgs', () => {
  let chain: TestChain;
  let proxy: RpcProxy;
  let client: ChainClient;
  let nonce = 0;

  before(async () => {
    chain = await startTestChain();
    proxy = await startRpcProxy(chain.rpcUrl);
    client = clientFor(chain, await chain.newWallet(), proxy.url);
  });
  afterEach(() => setAutomine(chain.rpcUrl, true));
  after(async () => {
    client?.provider.destroy();
    await proxy?.stop();
    await chain?.stop();
  });

  async function signEth(to: string, amount: bigint) {
    const unsigned = buildTransferTransaction(client, chain.asset('eth'), {
      to,
      amount,
      nonce: nonce++,
      fees: { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n },
      gasLimit: 21_000n,
    });
    return signTransaction(client, unsigned);
  }

  it('with mining stopped the wait ends as pending at its bound, polling once a second; mining resumed, it is found', async () => {
    await setAutomine(chain.rpcUrl, false);
    const to = freshAddress();
    const signed = await signEth(to, 42n);
    await broadcastRawTransaction(client, signed.raw);
    proxy.reset();
    const started = Date.now();
    const wait = await waitForReceipt(client, signed.hash, { timeoutMs: 2_500, pollIntervalMs: 1_000 });
    const elapsed = Date.now() - started;

    assert.deepEqual(wait, { state: 'pending' });
    assert.ok(elapsed >= 2_500 && elapsed < 3_500, `waited ${elapsed} ms`);
    // Look-ups at 0, 1, 2 and 2.5 s: no storm.
    assert.deepEqual(proxy.counts(), { eth_getTransactionReceipt: 4 });
    assert.equal(await balanceOf(chain, 'eth', to), 0n);

    await mineBlocks(chain.rpcUrl, 1);
    proxy.reset();
    const found = await waitForReceipt(client, signed.hash, { timeoutMs: 2_500 });
    assert.equal(found.state, 'confirmed');
    assert.deepEqual(proxy.counts(), { eth_getTransactionReceipt: 1 });
    assert.equal(await balanceOf(chain, 'eth', to), 42n);
  });

  it('a receipt below the configured depth is mined, not confirmed; at depth it is confirmed', async () => {
    const signed = await signEth(freshAddress(), 1n);
    await broadcastRawTransaction(client, signed.raw);
    const shallow = await waitForReceipt(client, signed.hash, {
      timeoutMs: 600,
      pollIntervalMs: 200,
      confirmations: 3,
    });
    assert.equal(shallow.state, 'mined');

    await mineBlocks(chain.rpcUrl, 2);
    proxy.reset();
    const deep = await waitForReceipt(client, signed.hash, { timeoutMs: 600, confirmations: 3 });
    assert.equal(deep.state, 'confirmed');
    // Receipt, head, receipt again for the block-hash re-check.
    assert.deepEqual(proxy.methods(), [
      'eth_getTransactionReceipt',
      'eth_blockNumber',
      'eth_getTransactionReceipt',
    ]);
  });

  it('a receipt whose block left the chain is reorged, the wait goes back to pending, and the same bytes can be mined again', async () => {
    const signed = await signEth(freshAddress(), 1n);
    await broadcastRawTransaction(client, signed.raw);
    await mineBlocks(chain.rpcUrl, 1);
    const receipt = await getReceipt(client, signed.hash);
    assert.ok(receipt);
    assert.equal((await checkConfirmation(client, receipt, { confirmations: 2 })).state, 'confirmed');

    await anvilRpc(chain.rpcUrl, 'anvil_rollback', [2]);
    await mineBlocks(chain.rpcUrl, 2);
    const check = await checkConfirmation(client, receipt, { confirmations: 2 });
    assert.deepEqual(check, { state: 'reorged', receipt: null });
    assert.deepEqual(await waitForReceipt(client, signed.hash, { timeoutMs: 300, confirmations: 2 }), {
      state: 'pending',
    });
    // The reorg dropped it from the pool too; the same bytes go back in and are mined again.
    assert.equal((await broadcastRawTransaction(client, signed.raw)).outcome, 'sent');
    assert.equal((await waitForReceipt(client, signed.hash, { timeoutMs: 1_000 })).state, 'confirmed');
  });

  it('a wait that saw the receipt re-checks the block hash at depth and follows the transaction to its new block', async () => {
    const signed = await signEth(freshAddress(), 1n);
    await broadcastRawTransaction(client, signed.raw);
    const first = await getReceipt(client, signed.hash);
    assert.ok(first);
    const waiting = waitForReceipt(client, signed.hash, {
      timeoutMs: 8_000,
      pollIntervalMs: 200,
      confirmations: 3,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The block is replaced; the same bytes land in another block at the same height.
    await anvilRpc(chain.rpcUrl, 'anvil_rollback', [1]);
    await mineBlocks(chain.rpcUrl, 1);
    await setAutomine(chain.rpcUrl, false);
    await broadcastRawTransaction(client, signed.raw);
    await mineBlocks(chain.rpcUrl, 3);
    const wait = await waiting;

    assert.equal(wait.state, 'confirmed');
    assert.notEqual(wait.receipt.blockHash, first.blockHash);
    assert.equal(wait.receipt.blockNumber, first.blockNumber + 1);
  });
});
