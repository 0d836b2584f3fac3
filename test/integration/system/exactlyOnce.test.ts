/**
 * Exactly once when deliveries overlap, cancels are asked for, nonces die and records get lost
 * (docs/architecture.md, "The fence", "Cancels", "Provably dead", "Nonces"), on PostgreSQL, anvil behind
 * a faulting proxy, the local Cloud Tasks endpoint and the functions. The chain is the judge.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbiCoder, Contract, JsonRpcProvider, keccak256, Wallet, zeroPadValue } from 'ethers';
import {
  anvilRpc,
  dropAllTransactions,
  mineBlocks,
  pendingTransactionHashes,
  setAutomine,
  setBalance,
} from '../../../local/anvil.js';
import { runAttempt } from '../../../shared/attempt/runAttempt.js';
import { createChainClient } from '../../../shared/chain/index.js';
import { getFailedTransaction, listPayoutTransactions } from '../../../shared/db/index.js';
import { createLogger } from '../../../shared/log/index.js';
import { createAttemptDeps } from '../../../shared/runtime/createDeps.js';
import { createTasksClient } from '../../../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../../../shared/tasks/enqueueTask.js';
import { decodePaymentCompleted, decodePaymentFailed } from '../../../shared/token/index.js';
import { countTransfers } from '../../support/chainAudit.js';
import {
  assertNoSecretInLogs,
  type Harness,
  LOCATION,
  PROJECT,
  QUEUES,
  startHarness,
  waitUntil,
} from '../../support/hostpay.js';
import {
  broadcastAndCrash,
  cancelRequest,
  operatorCall,
  recordTimeoutFailure,
  signAndDie,
} from '../../support/recoveryFlows.js';

const queuePath = (queue: string) => `projects/${PROJECT}/locations/${LOCATION}/queues/${queue}`;
let n = 0;
const id = (label: string) => `${label}-${Date.now()}-${++n}`;
const recipient = () => Wallet.createRandom().address;

/** The harness with a provider straight to anvil (no proxy) for the checks. */
function withHarness(env: Record<string, string>) {
  const ctx = {} as { h: Harness; provider: JsonRpcProvider };
  before(async () => {
    ctx.h = await startHarness({ env });
    ctx.provider = new JsonRpcProvider(ctx.h.anvil.rpcUrl, ctx.h.anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
  });
  after(async () => {
    ctx.provider?.destroy();
    await ctx.h?.stop();
  });
  return ctx;
}

/** The upstream notices of `path` about `uniqueId`, decoded. */
function notices(h: Harness, path: '/payment-completed' | '/payment-failed', uniqueId: string) {
  const decode = path === '/payment-completed' ? decodePaymentCompleted : decodePaymentFailed;
  return h.upstream.requests
    .filter((r) => r.path === path)
    .map((r) =>
      decode(JSON.parse(r.body.toString()).token as string, {
        keys: { current: h.signingKey },
        freshness: null,
      }),
    )
    .filter((decoded) => decoded.unique_id === uniqueId);
}

describe('exactly once: a delivery that outlives its lease', function () {
  this.timeout(120_000);
  const ctx = withHarness({ LEASE_SECONDS: '3', RECEIPT_WAIT_SECONDS: '1', RPC_TIMEOUT_SECONDS: '1' });

  it('a delivery frozen past its lease while a redelivery pays: it changes nothing, answers 200 superseded, paid once', async () => {
    const { h, provider } = ctx;
    const uniqueId = id('overlap');
    const to = recipient();
    const token = h.token({ unique_id: uniqueId, payin_address: to });
    // Delivery A runs in this process; its chain client waits 30 s for an answer, as a process frozen in
    // its preflight would (the deployed client gives up after RPC_TIMEOUT_SECONDS).
    const deps = await createAttemptDeps('executePayment', { env: h.env, write: () => undefined });
    const frozen = createChainClient({
      rpcUrl: h.proxy.url,
      chainId: h.anvil.chainId,
      privateKey: h.wallet.privateKey,
      requestTimeoutMs: 30_000,
    });
    const tasks = createTasksClient({ emulatorHost: h.emulator.endpoint });
    try {
      h.proxy.delay({ method: 'eth_getTransactionCount', times: 1, ms: 6_000 });
      const a = runAttempt(
        { ...deps, chain: frozen },
        { token, logger: createLogger({ write: () => undefined }) },
      );
      // Once A's lease has run out, Cloud Tasks delivers the same task again (B), through the function.
      await waitUntil(
        async () => {
          const [row] = await h.db.sql`
            SELECT lease_expires_at < clock_timestamp() AS expired FROM payouts WHERE unique_id = ${uniqueId}`;
          return row?.expired === true;
        },
        10_000,
        "A's lease to run out while A is frozen",
      );
      await enqueueTask(tasks, {
        project: PROJECT,
        location: LOCATION,
        queue: QUEUES.payment,
        url: h.urls.executePayment,
        body: { token },
        name: `redeliver-${uniqueId}`,
        dispatchDeadlineSeconds: 60,
      });
      const confirmed = await h.waitForPayout(uniqueId, ['confirmed'], 20_000);
      const stale = await a;
      assert.equal(stale.status, 'superseded', 'the stale delivery stops at its fence');
      const stored = await listPayoutTransactions(h.db.sql, { uniqueId });
      assert.equal(stored.length, 1, 'one transaction signed for the payout');
      assert.equal(stored[0]?.hash, confirmed.confirmedTxHash);
      assert.equal(await countTransfers(provider, h.wallet.address, to), 1);
      assert.equal(await provider.getBalance(to), 10n ** 16n, 'the recipient holds exactly 0.01 ETH');
      assert.ok(h.events('attempt_superseded').length === 0, 'A ran in this process with its own logger');
    } finally {
      frozen.provider.destroy();
      await tasks.close();
      await deps.close();
    }
  });
});

describe('exactly once: cancels, dead nonces, attempt cycles and lost records', function () {
  this.timeout(120_000);
  const ctx = withHarness({ RECOVERY_COOLDOWN_SECONDS: '1', STUCK_AFTER_SECONDS: '1' });
  const transfersTo = (to: string) => countTransfers(ctx.provider, ctx.h.wallet.address, to);
  const stored = (uniqueId: string) => listPayoutTransactions(ctx.h.db.sql, { uniqueId });
  const runRecovery = () => operatorCall(ctx.h.urls.recoverPayments, 'POST', {});
  const failureRow = (uniqueId: string) =>
    waitUntil(
      () => getFailedTransaction(ctx.h.db.sql, { uniqueId }),
      20_000,
      `the failure row of ${uniqueId}`,
    );
  /** [kind, mined on chain] of each stored transaction: the chain, not the ledger's last look, is the judge. */
  const minedOnChain = (transactions: { kind: string; hash: string }[]) =>
    Promise.all(
      transactions.map(async (t) => [t.kind, (await ctx.provider.getTransactionReceipt(t.hash)) !== null]),
    );
  /** Runs `work` with the hot wallet holding `wei`, then gives it its balance back. */
  async function withBalance<T>(wei: bigint, work: () => Promise<T>): Promise<T> {
    const funded = await ctx.provider.getBalance(ctx.h.wallet.address);
    await setBalance(ctx.h.anvil.rpcUrl, ctx.h.wallet.address, wei);
    try {
      return await work();
    } finally {
      await setBalance(ctx.h.anvil.rpcUrl, ctx.h.wallet.address, funded);
    }
  }

  it('a cancel answered cancel_pending is honoured: once it is mined, a check and a sweep sign no new transfer', async () => {
    const { h } = ctx;
    const uniqueId = id('honour');
    const to = recipient();
    await broadcastAndCrash(h, uniqueId, to);
    try {
      await recordTimeoutFailure(h, uniqueId, to);
      const first = await cancelRequest(h, uniqueId);
      assert.equal(first.status, 409, JSON.stringify(first.body));
      assert.equal(first.body.error, 'cancel_pending');
      assert.equal((await h.payout(uniqueId))?.status, 'cancel_requested', 'the intent is in the ledger');
      await mineBlocks(h.anvil.rpcUrl, 1);
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    await sleep(1_100);
    await runRecovery();
    const payout = await h.waitForPayout(uniqueId, ['cancelled', 'confirmed'], 20_000);
    assert.equal(payout.status, 'cancelled');
    const again = await h.post('retryPayment', {
      token: h.token({ unique_id: uniqueId, payin_address: to }),
    });
    assert.deepEqual([again.status, again.body.status], [200, 'cancelled'], 'a late check changes nothing');
    await runRecovery();
    assert.deepEqual(
      (await stored(uniqueId)).map((t) => t.kind).sort(),
      ['cancel', 'transfer'],
      'no transfer signed after the cancel',
    );
    assert.equal(await transfersTo(to), 0);
    assert.equal(await ctx.provider.getBalance(to), 0n);
    const asked = await cancelRequest(h, uniqueId);
    assert.equal(asked.status, 200, 'asked again, the operator is told it is cancelled');
    assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_cancelled');
  });

  it('a check racing an operator cancel: one of paid or cancelled, and ledger, operator and upstream agree', async () => {
    const { h } = ctx;
    const uniqueId = id('race');
    const to = recipient();
    await broadcastAndCrash(h, uniqueId, to);
    let outcome: string;
    try {
      await recordTimeoutFailure(h, uniqueId, to);
      // A check holds the payout's lease while it waits for the receipt.
      const check = h.post('retryPayment', { token: h.token({ unique_id: uniqueId, payin_address: to }) });
      await waitUntil(
        async () => (await h.payout(uniqueId))?.leaseOwner,
        10_000,
        'the check to take the lease',
      );
      const answer = await cancelRequest(h, uniqueId);
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'cancel_pending');
      assert.match(String(answer.body.message), /delivery working on it will carry it out/);
      const checked = await check;
      assert.equal(checked.body.status, 'pending_confirmation');
      assert.equal((await h.payout(uniqueId))?.status, 'cancel_requested', 'the check kept the intent');
      // The next check carries the cancel out: a 0-value self-transfer replaces the transfer in the pool.
      await waitUntil(
        async () => {
          const cancel = (await stored(uniqueId)).find((t) => t.kind === 'cancel');
          return cancel && (await pendingTransactionHashes(h.anvil.rpcUrl)).includes(cancel.hash);
        },
        15_000,
        'the cancel in the pool',
      );
      await mineBlocks(h.anvil.rpcUrl, 1);
      outcome = (await h.waitForPayout(uniqueId, ['cancelled', 'confirmed'], 20_000)).status;
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const paid = await transfersTo(to);
    const told = await cancelRequest(h, uniqueId);
    if (outcome === 'cancelled') {
      assert.equal(paid, 0);
      assert.equal(told.status, 200);
      assert.deepEqual(notices(h, '/payment-completed', uniqueId), []);
    } else {
      assert.equal(paid, 1);
      assert.deepEqual([told.status, told.body.error], [409, 'already_paid']);
      await waitUntil(
        async () => notices(h, '/payment-completed', uniqueId).length === 1,
        10_000,
        'the notice',
      );
    }
    assert.equal(outcome, 'cancelled', 'the cancel outbid the transfer in the pool, so it is the one mined');
    assert.equal(
      (await stored(uniqueId)).filter((t) => t.kind !== 'cancel').length,
      1,
      'one transfer signed',
    );
  });

  it('a transfer refused for good, its nonce taken back, INSUFFICIENT_FUNDS: recorded within the cycle with its notice', async () => {
    const { h } = ctx;
    const uniqueId = id('loop');
    const to = recipient();
    await withBalance(await ctx.provider.getBalance(h.wallet.address), async () => {
      // The send is held up; meanwhile the wallet drops to enough for a 0-value self-transfer, not the payout.
      h.proxy.delay({ method: 'eth_sendRawTransaction', times: 1, ms: 1_500 });
      await h.pay({ unique_id: uniqueId, payin_address: to, from_amount: 1 });
      await waitUntil(async () => (await stored(uniqueId)).length > 0, 10_000, 'the transfer to be stored');
      await setBalance(h.anvil.rpcUrl, h.wallet.address, 10n ** 16n);
      const row = await failureRow(uniqueId);
      assert.equal(row.errorCode, 'INSUFFICIENT_FUNDS');
    });
    assert.equal((await h.payout(uniqueId))?.status, 'failed');
    assert.deepEqual(await minedOnChain(await stored(uniqueId)), [
      ['transfer', false],
      ['cancel', true],
    ]);
    await waitUntil(
      async () => notices(h, '/payment-failed', uniqueId).length === 1,
      10_000,
      'the failed notice',
    );
    await sleep(2_500);
    assert.deepEqual(h.events('payment_pending_confirmation', uniqueId), [], 'no check loop');
    assert.equal((await stored(uniqueId)).length, 2, 'and nothing signed since');
    assert.equal(await transfersTo(to), 0);
    // The operators' alert names both transactions (a local chain has no explorer) and links the console.
    const alert = h.slack.requests
      .map((r) => JSON.parse(r.body.toString()).text as string)
      .find((t) => t.includes(uniqueId));
    for (const t of await stored(uniqueId)) assert.ok(alert?.includes(`• ${t.kind} ${t.hash} (`), alert);
    assert.ok(
      alert?.includes(`<${h.urls.adminApi}/#/payout/${encodeURIComponent(uniqueId)}|open in the console>`),
      alert,
    );
  });

  it('a forced retry of a reverted token payout signs a new transfer and pays it once', async () => {
    const { h } = ctx;
    const uniqueId = id('reverted');
    const to = recipient();
    // The wallet's USDC balance (storage slot 3 of the test token) is emptied while the send is held up.
    const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [h.wallet.address, 3]));
    const usdc = h.tokens.usdc;
    const saved = await anvilRpc<string>(h.anvil.rpcUrl, 'eth_getStorageAt', [usdc, slot, 'latest']);
    h.proxy.delay({ method: 'eth_sendRawTransaction', times: 1, ms: 1_500 });
    await h.pay({ unique_id: uniqueId, payin_address: to, from_currency: 'usdc', from_amount: 5 });
    await waitUntil(async () => (await stored(uniqueId)).length > 0, 10_000, 'the transfer to be stored');
    await anvilRpc(h.anvil.rpcUrl, 'anvil_setStorageAt', [usdc, slot, zeroPadValue('0x00', 32)]);
    const row = await failureRow(uniqueId);
    assert.equal(row.errorCode, 'TRANSACTION_REVERTED_PERMANENT');
    await anvilRpc(h.anvil.rpcUrl, 'anvil_setStorageAt', [usdc, slot, saved]);

    const forced = await operatorCall(`${h.urls.adminApi}/failed-transactions/${uniqueId}/retry`, 'POST', {
      force: true,
      notes: 'tokens restored',
    });
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    const payout = await h.waitForPayout(uniqueId, ['confirmed', 'failed'], 20_000);
    assert.equal(payout.status, 'confirmed');
    assert.equal(payout.cycle, 2);
    assert.deepEqual(
      (await stored(uniqueId)).map((t) => [t.kind, t.cycle, t.receiptStatus]),
      [
        ['transfer', 1, 0],
        ['transfer', 2, 1],
      ],
    );
    const token = new Contract(usdc, ['function balanceOf(address) view returns (uint256)'], ctx.provider);
    assert.equal(await token.getFunction('balanceOf')(to), 5_000_000n, 'paid once, exactly');
  });

  it('a failed payout whose failure task was lost is recorded by the next recovery run, with its notice', async () => {
    const { h } = ctx;
    const uniqueId = id('lost');
    const to = recipient();
    const failureQueue = queuePath(QUEUES.failure);
    const tasks = createTasksClient({ emulatorHost: h.emulator.endpoint });
    h.emulator.pauseQueue(failureQueue);
    try {
      const answer = await withBalance(10n ** 15n, () =>
        h.post('executePayment', { token: h.token({ unique_id: uniqueId, payin_address: to }) }),
      );
      assert.deepEqual([answer.body.status, answer.body.error_code], ['failed', 'INSUFFICIENT_FUNDS']);
      // The failure queue loses the task; Cloud Tasks keeps refusing its name for a while.
      await tasks.purgeQueue({ name: failureQueue });
    } finally {
      h.emulator.resumeQueue(failureQueue);
      await tasks.close();
    }
    await sleep(1_100);
    assert.equal(await getFailedTransaction(h.db.sql, { uniqueId }), null, 'nothing recorded yet');
    const run = await runRecovery();
    const requeued = run.body.failures_requeued as { unique_id: string; created: boolean }[];
    assert.ok(
      requeued.some((r) => r.unique_id === uniqueId && r.created),
      JSON.stringify(run.body),
    );
    assert.equal((await failureRow(uniqueId)).errorCode, 'INSUFFICIENT_FUNDS');
    await waitUntil(
      async () => notices(h, '/payment-failed', uniqueId).length === 1,
      10_000,
      'the failed notice',
    );
    const second = await runRecovery();
    assert.ok(
      !(second.body.failures_requeued as { unique_id: string }[]).some((r) => r.unique_id === uniqueId),
    );
    assert.equal(h.events('payment_failed_permanently', uniqueId).length, 1, 'alerted once');
  });

  it('after an operator retry, a swept attempt of the new cycle records its own failure: task names carry the cycle', async () => {
    const { h } = ctx;
    const uniqueId = id('cycle');
    const to = recipient();
    const retryQueue = queuePath(QUEUES.retry);
    const tasks = createTasksClient({ emulatorHost: h.emulator.endpoint });
    try {
      await withBalance(10n ** 15n, async () => {
        await h.post('executePayment', { token: h.token({ unique_id: uniqueId, payin_address: to }) });
        assert.equal((await failureRow(uniqueId)).status, 'failed_pending_review');
        // The retry's own task is lost: the sweep has to start the new cycle's attempt.
        h.emulator.pauseQueue(retryQueue);
        const forced = await operatorCall(
          `${h.urls.adminApi}/failed-transactions/${uniqueId}/retry`,
          'POST',
          {
            force: true,
          },
        );
        assert.equal(forced.status, 202, JSON.stringify(forced.body));
        await tasks.purgeQueue({ name: retryQueue });
        h.emulator.resumeQueue(retryQueue);
        const reopened = (await h.payout(uniqueId))!;
        assert.deepEqual([reopened.status, reopened.cycle], ['received', 2]);
        assert.equal(
          Math.floor(reopened.firstAttemptAt!.getTime() / 1000),
          forced.body.first_attempt_at,
          'the ledger names the new cycle as its tasks do',
        );
        await sleep(1_100);
        const run = await runRecovery();
        assert.ok((run.body.swept as { unique_id: string }[]).some((s) => s.unique_id === uniqueId));
        await waitUntil(
          async () => h.events('failure_recorded', uniqueId).length === 2,
          20_000,
          "the new cycle's failure to be recorded",
        );
      });
    } finally {
      h.emulator.resumeQueue(retryQueue);
      await tasks.close();
    }
    assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_pending_review');
    assert.equal(await transfersTo(to), 0);
  });

  it('a node whose receipt index lags: the mined transfer is never signed again, and confirms once receipts show', async () => {
    const { h } = ctx;
    const uniqueId = id('lagging');
    const to = recipient();
    h.proxy.nullResult({ method: 'eth_getTransactionReceipt' });
    try {
      await h.pay({ unique_id: uniqueId, payin_address: to });
      await waitUntil(
        async () => h.events('payment_pending_confirmation', uniqueId).length >= 2,
        20_000,
        'two checks of the mined transfer without a receipt',
      );
      assert.equal((await stored(uniqueId)).length, 1, 'no second transfer while the receipt is missing');
      assert.equal(await transfersTo(to), 1, 'the chain has it');
    } finally {
      h.proxy.clearFaults();
    }
    const payout = await h.waitForPayout(uniqueId, ['confirmed'], 20_000);
    assert.equal(payout.confirmedTxHash, (await stored(uniqueId))[0]?.hash);
    assert.equal(await transfersTo(to), 1);
    assert.equal(await ctx.provider.getBalance(to), 10n ** 16n);
  });

  it('a nonce left unsent by a delivery killed between a refusal and its take-back is filled, never renumbered', async () => {
    const { h } = ctx;
    const a = id('gap-a');
    const b = id('gap-b');
    const toA = recipient();
    const toB = recipient();
    const held = await signAndDie(h, a, toA, 10n ** 18n);
    await withBalance(5n * 10n ** 17n, async () => {
      // B's nonce is the one after A's, which the node never saw: B waits behind the hole until it is filled.
      await h.pay({ unique_id: b, payin_address: toB });
      const paidB = await h.waitForPayout(b, ['confirmed'], 30_000);
      assert.equal((await stored(b))[0]?.nonce, held.nonce + 1);
      assert.equal(paidB.confirmedTxHash, (await stored(b))[0]?.hash);
    });
    // A's transfer could not be afforded any more: a 0-value self-transfer stored with A holds its nonce.
    const heldBack = await stored(a);
    assert.deepEqual(
      heldBack.map((t) => t.nonce),
      [held.nonce, held.nonce],
    );
    assert.deepEqual(await minedOnChain(heldBack), [
      ['transfer', false],
      ['cancel', true],
    ]);
    assert.equal(await ctx.provider.getTransactionCount(h.wallet.address, 'latest'), held.nonce + 2);
    assert.equal(await transfersTo(toA), 0);
    assert.equal(await transfersTo(toB), 1);
  });

  it('never writes a secret to a log line', () => {
    const { h } = ctx;
    assertNoSecretInLogs(h);
  });
});

describe('exactly once: a reorg swaps a cancel for the transfer', function () {
  this.timeout(120_000);
  const ctx = withHarness({ REORG_SAFE_DEPTH: '3' });

  it('a cancel two blocks deep is not final; the reorg that mines the transfer instead ends confirmed, paid once', async () => {
    const { h, provider } = ctx;
    const uniqueId = id('reorg');
    const to = recipient();
    const retryQueue = queuePath(QUEUES.retry);
    await broadcastAndCrash(h, uniqueId, to);
    const [transfer] = await listPayoutTransactions(h.db.sql, { uniqueId });
    assert.ok(transfer);
    h.emulator.pauseQueue(retryQueue);
    try {
      await recordTimeoutFailure(h, uniqueId, to);
      const put = cancelRequest(h, uniqueId);
      await waitUntil(
        async () => {
          const cancel = (await listPayoutTransactions(h.db.sql, { uniqueId })).find(
            (t) => t.kind === 'cancel',
          );
          const pool = await pendingTransactionHashes(h.anvil.rpcUrl);
          return cancel && pool.length === 1 && pool[0] === cancel.hash;
        },
        10_000,
        'the cancel to replace the transfer in the pool',
      );
      await mineBlocks(h.anvil.rpcUrl, 2);
      const answer = await put;
      assert.deepEqual(
        [answer.status, answer.body.error],
        [409, 'cancel_pending'],
        'two blocks are not three',
      );
      assert.equal((await h.payout(uniqueId))?.status, 'cancel_requested');
      // The two blocks are replaced by two others in which the transfer, not the cancel, is mined.
      await anvilRpc(h.anvil.rpcUrl, 'anvil_rollback', [2]);
      await dropAllTransactions(h.anvil.rpcUrl);
      await anvilRpc(h.anvil.rpcUrl, 'eth_sendRawTransaction', [transfer.rawTransaction]);
      await mineBlocks(h.anvil.rpcUrl, 2);
    } finally {
      h.emulator.resumeQueue(retryQueue);
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const payout = await h.waitForPayout(uniqueId, ['confirmed', 'cancelled'], 20_000);
    assert.equal(payout.status, 'confirmed');
    assert.equal(payout.confirmedTxHash, transfer.hash);
    assert.equal(await countTransfers(provider, h.wallet.address, to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
    await waitUntil(async () => notices(h, '/payment-completed', uniqueId).length > 0, 10_000, 'the notice');
    const told = await cancelRequest(h, uniqueId);
    assert.deepEqual([told.status, told.body.error], [409, 'already_paid']);
    assert.equal(
      (await listPayoutTransactions(h.db.sql, { uniqueId })).filter((t) => t.kind !== 'cancel').length,
      1,
      'no transfer signed anew',
    );
  });
});
