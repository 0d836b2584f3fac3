import assert from 'node:assert/strict';
import { parseUnits } from 'ethers';
import { dropTransaction, mineBlocks, setAutomine, setNextBlockBaseFee } from '../../../local/anvil.js';
import { broadcastRawTransaction } from '../../../shared/chain/broadcast.js';
import type { ChainClient } from '../../../shared/chain/client.js';
import { readBaseFee } from '../../../shared/chain/fees.js';
import { readPendingNonce } from '../../../shared/chain/nonce.js';
import { preflightTransfer } from '../../../shared/chain/preflight.js';
import { findMinedTransaction, getReceipt, waitForReceipt } from '../../../shared/chain/receipt.js';
import { buildCancellation, buildReplacement } from '../../../shared/chain/replace.js';
import { type SignedTransaction, signTransaction } from '../../../shared/chain/sign.js';
import { buildTransferTransaction } from '../../../shared/chain/transfer.js';
import { startTestChain, type TestChain } from '../../support/anvil.js';
import {
  balanceOf,
  clientFor,
  DEFAULT_POLICY,
  freshAddress,
  minedNonce,
  minedTransaction,
  poolHashes,
} from '../../support/chain.js';

describe('chain: rebroadcast, replacement and cancellation at the same nonce', () => {
  let chain: TestChain;
  let client: ChainClient;

  before(async () => {
    chain = await startTestChain();
    client = clientFor(chain, await chain.newWallet());
  });
  afterEach(async () => {
    await setAutomine(chain.rpcUrl, true);
    await mineBlocks(chain.rpcUrl, 1);
  });
  after(async () => {
    client?.provider.destroy();
    await chain?.stop();
  });

  /** Signs and broadcasts a payout with mining stopped: it waits in the pool. */
  async function sendStuck(symbol: 'eth' | 'usdt', to: string, amount: bigint): Promise<SignedTransaction> {
    const asset = chain.asset(symbol);
    const pre = await preflightTransfer(client, {
      asset,
      to,
      amount,
      policy: DEFAULT_POLICY,
      gasMarginPercent: 20,
    });
    await setAutomine(chain.rpcUrl, false);
    const signed = await signTransaction(
      client,
      buildTransferTransaction(client, asset, {
        to: pre.to,
        amount,
        nonce: pre.chainPendingNonce,
        fees: pre.fees,
        gasLimit: pre.gasLimit,
      }),
    );
    assert.equal((await broadcastRawTransaction(client, signed.raw)).outcome, 'sent');
    assert.deepEqual(await poolHashes(chain), [signed.hash]);
    return signed;
  }

  it('the same bytes sent twice are "already known", not a second transfer', async () => {
    const to = freshAddress();
    const signed = await sendStuck('eth', to, 9n);
    assert.deepEqual(await broadcastRawTransaction(client, signed.raw), {
      hash: signed.hash,
      outcome: 'already_known',
    });
    await mineBlocks(chain.rpcUrl, 1);
    assert.deepEqual(await broadcastRawTransaction(client, signed.raw), {
      hash: signed.hash,
      outcome: 'nonce_used',
    });
    assert.equal(await balanceOf(chain, 'eth', to), 9n);
  });

  it('a dropped transaction is rebroadcast from its stored bytes with the same hash and mined once', async () => {
    const to = freshAddress();
    const signed = await sendStuck('usdt', to, 1_000_000n);
    await dropTransaction(chain.rpcUrl, signed.hash);
    assert.deepEqual(await poolHashes(chain), []);
    assert.equal(await getReceipt(client, signed.hash), null);

    const again = await broadcastRawTransaction(client, signed.raw);
    assert.deepEqual(again, { hash: signed.hash, outcome: 'sent' });
    await mineBlocks(chain.rpcUrl, 1);
    const wait = await waitForReceipt(client, signed.hash, { timeoutMs: 1_000 });
    assert.equal(wait.state, 'confirmed');
    assert.equal(await balanceOf(chain, 'usdt', to), 1_000_000n);
  });

  it('a stuck transaction is replaced at its nonce with higher fees; exactly one of the two is mined', async () => {
    const to = freshAddress();
    const original = await sendStuck('eth', to, 123n);
    const nonce = await minedNonce(chain, client.address);
    const baseFeePerGas = await readBaseFee(client);
    const replacement = await signTransaction(
      client,
      buildReplacement(original.raw, { baseFeePerGas, policy: DEFAULT_POLICY }),
    );
    assert.equal(replacement.nonce, original.nonce);
    assert.deepEqual(
      [replacement.to, replacement.value, replacement.data, replacement.gasLimit],
      [original.to, original.value, original.data, original.gasLimit],
    );
    assert.ok(replacement.maxFeePerGas >= (original.maxFeePerGas * 115n) / 100n);
    assert.ok(replacement.maxPriorityFeePerGas >= (original.maxPriorityFeePerGas * 115n) / 100n);
    assert.equal((await broadcastRawTransaction(client, replacement.raw)).outcome, 'sent');
    assert.deepEqual(await poolHashes(chain), [replacement.hash]);
    await mineBlocks(chain.rpcUrl, 1);

    const mined = await findMinedTransaction(client, [original.hash, replacement.hash]);
    assert.equal(mined?.hash, replacement.hash.toLowerCase());
    assert.equal(await getReceipt(client, original.hash), null);
    assert.equal(await minedNonce(chain, client.address), nonce + 1);
    assert.equal(await balanceOf(chain, 'eth', to), 123n);
    assert.deepEqual(await broadcastRawTransaction(client, original.raw), {
      hash: original.hash,
      outcome: 'nonce_used',
    });
    assert.equal(await balanceOf(chain, 'eth', to), 123n);
  });

  it('under a base fee risen above its max fee the original cannot be mined; the replacement priced from the new base fee is', async () => {
    const to = freshAddress();
    const original = await sendStuck('usdt', to, 77n);
    await setNextBlockBaseFee(chain.rpcUrl, original.maxFeePerGas + 1n);
    await mineBlocks(chain.rpcUrl, 1);
    // anvil evicts it from its pool at that point; geth would keep it waiting. Either way it is not mined.
    assert.equal(await getReceipt(client, original.hash), null);

    const baseFeePerGas = await readBaseFee(client);
    assert.ok(baseFeePerGas > original.maxFeePerGas);
    const replacement = await signTransaction(
      client,
      buildReplacement(original.raw, { baseFeePerGas, policy: DEFAULT_POLICY }),
    );
    assert.equal(replacement.maxFeePerGas, 2n * baseFeePerGas + replacement.maxPriorityFeePerGas);
    assert.equal((await broadcastRawTransaction(client, replacement.raw)).outcome, 'sent');
    await mineBlocks(chain.rpcUrl, 1);
    const mined = await findMinedTransaction(client, [original.hash, replacement.hash]);
    assert.equal(mined?.hash, replacement.hash.toLowerCase());
    assert.equal(await balanceOf(chain, 'usdt', to), 77n);
  });

  it('a cancelled payout ends with the 0-value self-transfer mined and nothing paid', async () => {
    const to = freshAddress();
    const original = await sendStuck('usdt', to, 5_000_000n);
    const baseFeePerGas = await readBaseFee(client);
    const cancel = await signTransaction(
      client,
      buildCancellation(original.raw, { baseFeePerGas, policy: DEFAULT_POLICY }),
    );
    assert.equal((await broadcastRawTransaction(client, cancel.raw)).outcome, 'sent');
    await mineBlocks(chain.rpcUrl, 1);

    const mined = await findMinedTransaction(client, [original.hash, cancel.hash]);
    assert.equal(mined?.hash, cancel.hash.toLowerCase());
    const tx = await minedTransaction(chain, cancel.hash);
    assert.deepEqual(tx && { to: tx.to, value: tx.value, input: tx.input, nonce: tx.nonce }, {
      to: client.address,
      value: 0n,
      input: '0x',
      nonce: original.nonce,
    });
    assert.equal(await balanceOf(chain, 'usdt', to), 0n);
    assert.equal(await readPendingNonce(client), original.nonce + 1);
  });

  it('a replacement that would pass the fee cap is refused as GAS_PRICE_SPIKE', async () => {
    const original = await sendStuck('eth', freshAddress(), 1n);
    const baseFeePerGas = await readBaseFee(client);
    const policy = { ...DEFAULT_POLICY, maxFeePerGas: original.maxFeePerGas + 1n };
    assert.throws(() => buildReplacement(original.raw, { baseFeePerGas, policy }), {
      code: 'GAS_PRICE_SPIKE',
    });
    assert.throws(() => buildCancellation(original.raw, { baseFeePerGas, policy }), {
      code: 'GAS_PRICE_SPIKE',
    });
    // Room for the nodes' 10 % minimum under the cap: the replacement is priced at the cap exactly.
    const roomy = { ...DEFAULT_POLICY, maxFeePerGas: (original.maxFeePerGas * 111n) / 100n };
    assert.equal(
      buildReplacement(original.raw, { baseFeePerGas, policy: roomy }).maxFeePerGas,
      roomy.maxFeePerGas,
    );
    assert.ok(roomy.maxFeePerGas < parseUnits('300', 'gwei'));
  });
});
