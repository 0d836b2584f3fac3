/**
 * Recovery end to end: recoverPayments and adminApi against payouts that failed or stalled for
 * real, on PostgreSQL, anvil, the local Cloud Tasks endpoint and the functions; the chain is the judge.
 */
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import {
  anvilRpc,
  dropTransaction,
  mineBlocks,
  pendingTransactionHashes,
  setAutomine,
  setBalance,
} from '../../../local/anvil.js';
import { getFailedTransaction, listPayoutTransactions } from '../../../shared/db/index.js';
import { decodePaymentCompleted } from '../../../shared/token/index.js';
import { countTransfers } from '../../support/chainAudit.js';
import { assertNoSecretInLogs, type Harness, startHarness, waitUntil } from '../../support/hostpay.js';
import {
  cancelRequest as cancel,
  broadcastAndCrash as crash,
  operatorCall,
  recordTimeoutFailure as recordFailureRow,
} from '../../support/recoveryFlows.js';

describe('recovery on chain: recoverPayments and adminApi', function () {
  this.timeout(120_000);
  let h: Harness;
  let provider: JsonRpcProvider;
  let n = 0;
  const id = (label: string) => `${label}-${Date.now()}-${++n}`;
  const recipient = () => Wallet.createRandom().address;
  const transfersTo = (to: string) => countTransfers(provider, h.wallet.address, to);

  before(async () => {
    h = await startHarness({ env: { RECOVERY_COOLDOWN_SECONDS: '1', STUCK_AFTER_SECONDS: '1' } });
    provider = new JsonRpcProvider(h.anvil.rpcUrl, h.anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
  });
  after(async () => {
    provider?.destroy();
    await h?.stop();
  });

  const call = operatorCall;
  const broadcastAndCrash = (uniqueId: string, to: string) => crash(h, uniqueId, to);

  const runRecovery = () => call(h.urls.recoverPayments, 'POST', {});
  const failureRow = (uniqueId: string) =>
    waitUntil(() => getFailedTransaction(h.db.sql, { uniqueId }), 20_000, `the failure row of ${uniqueId}`);

  it('retries a RATE_LIMIT_EXCEEDED failure after the cooldown; it ends recovered with its hash, paid once', async () => {
    const uniqueId = id('rate');
    const to = recipient();
    h.proxy.rateLimit({ method: 'eth_getBlockByNumber', times: 3 });
    await h.pay({ unique_id: uniqueId, payin_address: to });
    const failed = await failureRow(uniqueId);
    assert.equal(failed.errorCode, 'RATE_LIMIT_EXCEEDED');
    assert.equal(failed.status, 'failed_retryable');
    assert.equal(await transfersTo(to), 0);

    await new Promise((r) => setTimeout(r, 1100));
    const run = await runRecovery();
    assert.ok((run.body.retried as string[]).includes(uniqueId), JSON.stringify(run.body));
    const payout = await h.waitForPayout(uniqueId, ['confirmed']);
    const reconciled = await waitUntil(
      async () => {
        await runRecovery();
        const row = await getFailedTransaction(h.db.sql, { uniqueId });
        return row?.status === 'recovered' ? row : undefined;
      },
      20_000,
      'the failure to be reconciled as recovered',
    );
    assert.equal(reconciled.recoveryTxHash, payout.confirmedTxHash);
    assert.equal(await transfersTo(to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
  });

  it('refuses to retry INSUFFICIENT_FUNDS without force, then pays it once when forced after funding', async () => {
    const uniqueId = id('funds');
    const to = recipient();
    const funded = await provider.getBalance(h.wallet.address);
    await setBalance(h.anvil.rpcUrl, h.wallet.address, 10n ** 15n);
    try {
      const answer = await h.post('executePayment', {
        token: h.token({ unique_id: uniqueId, payin_address: to }),
      });
      assert.equal(answer.body.error_code, 'INSUFFICIENT_FUNDS');
      await failureRow(uniqueId);
      const refused = await call(`${h.urls.adminApi}/failed-transactions/${uniqueId}/retry`, 'POST', {});
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error, 'not_retryable');
      assert.match(String(refused.body.message), /INSUFFICIENT_FUNDS/);
      assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_pending_review');
    } finally {
      await setBalance(h.anvil.rpcUrl, h.wallet.address, funded);
    }
    const forced = await call(`${h.urls.adminApi}/failed-transactions/${uniqueId}/retry`, 'POST', {
      force: true,
      notes: 'wallet funded',
    });
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    await h.waitForPayout(uniqueId, ['confirmed']);
    assert.equal(await transfersTo(to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
    const again = await call(`${h.urls.adminApi}/failed-transactions/${uniqueId}/retry`, 'POST', {
      force: true,
    });
    assert.equal(again.status, 409, 'a second forced retry of a paid payout is refused');
    assert.equal(await transfersTo(to), 1);
  });

  it('sweeps a payout left submitted with no task after a crash; it ends confirmed and is never paid twice', async () => {
    const uniqueId = id('crash');
    const to = recipient();
    await broadcastAndCrash(uniqueId, to);
    await setAutomine(h.anvil.rpcUrl, true);
    await mineBlocks(h.anvil.rpcUrl, 1);
    await new Promise((r) => setTimeout(r, 1100));
    const run = await runRecovery();
    const swept = run.body.swept as { unique_id: string; created: boolean }[];
    assert.ok(
      swept.some((s) => s.unique_id === uniqueId && s.created),
      JSON.stringify(run.body),
    );
    const payout = await h.waitForPayout(uniqueId, ['confirmed']);
    assert.equal(payout.attemptCount, 1, 'resuming a broadcast transaction uses no attempt');
    const second = await runRecovery();
    assert.ok(!(second.body.swept as { unique_id: string }[]).some((s) => s.unique_id === uniqueId));
    assert.equal(await transfersTo(to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
  });

  const recordTimeoutFailure = (uniqueId: string, to: string) => recordFailureRow(h, uniqueId, to);
  const cancelRequest = (uniqueId: string) => cancel(h, uniqueId);
  /** [kind, chain state, receipt status] of each signed transaction, as adminApi shows them. */
  const chainStates = async (uniqueId: string) => {
    const shown = await call(`${h.urls.adminApi}/failed-transactions/${uniqueId}`, 'GET');
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    return (shown.body.transactions as { kind: string; chain: { state: string; success?: boolean } }[])
      .map((t) => [t.kind, t.chain.state, t.chain.success ?? null])
      .sort();
  };
  /** Resolves once the cancel is stored and is the only transaction in the node's pool. */
  const cancelInPool = (uniqueId: string) =>
    waitUntil(
      async () => {
        const cancel = (await listPayoutTransactions(h.db.sql, { uniqueId })).find(
          (t) => t.kind === 'cancel',
        );
        const pool = await pendingTransactionHashes(h.anvil.rpcUrl);
        return cancel && pool.length === 1 && pool[0] === cancel.hash ? cancel : undefined;
      },
      10_000,
      'the cancel to replace the transfer in the pool',
    );

  it('cancels on chain when an operator sets failed_cancelled on a payout whose transfer is still pending', async () => {
    const uniqueId = id('cancel');
    const to = recipient();
    await broadcastAndCrash(uniqueId, to);
    try {
      await recordTimeoutFailure(uniqueId, to);
      assert.deepEqual(await chainStates(uniqueId), [['transfer', 'pending', null]]);
      const put = cancelRequest(uniqueId);
      // The cancel goes out at the transfer's nonce with higher fees and replaces it in the pool.
      await cancelInPool(uniqueId);
      await mineBlocks(h.anvil.rpcUrl, 1);
      const answer = await put;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const row = await getFailedTransaction(h.db.sql, { uniqueId });
    assert.equal(row?.status, 'failed_cancelled');
    assert.equal(row?.recoveredBy, 'test-operator');
    assert.match(row?.adminNotes ?? '', /on-chain cancel/);
    assert.equal((await h.payout(uniqueId))?.status, 'cancelled');
    const txs = await listPayoutTransactions(h.db.sql, { uniqueId });
    assert.deepEqual(txs.map((t) => [t.kind, t.status]).sort(), [
      ['cancel', 'mined'],
      ['transfer', 'replaced'],
    ]);
    assert.equal(await provider.getBalance(to), 0n);
    assert.equal(await transfersTo(to), 0);
    assert.deepEqual(await chainStates(uniqueId), [
      ['cancel', 'mined', true],
      ['transfer', 'unknown', null],
    ]);
  });

  it('refuses the cancel, records the payout paid and tells the upstream when the transfer is mined before its cancel', async () => {
    const uniqueId = id('race');
    const to = recipient();
    await broadcastAndCrash(uniqueId, to);
    const [transfer] = await listPayoutTransactions(h.db.sql, { uniqueId });
    assert.ok(transfer);
    try {
      await recordTimeoutFailure(uniqueId, to);
      const put = cancelRequest(uniqueId);
      const cancel = await cancelInPool(uniqueId);
      // The transfer wins the race: the node loses the cancel and is handed the transfer's own bytes again.
      await dropTransaction(h.anvil.rpcUrl, cancel.hash);
      await anvilRpc(h.anvil.rpcUrl, 'eth_sendRawTransaction', [transfer.rawTransaction]);
      await mineBlocks(h.anvil.rpcUrl, 1);
      const answer = await put;
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'already_paid');
      assert.match(String(answer.body.message), new RegExp(transfer.hash));
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const payout = await h.payout(uniqueId);
    assert.equal(payout?.status, 'confirmed');
    assert.equal(payout?.confirmedTxHash, transfer.hash);
    assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_pending_review');
    assert.equal(await transfersTo(to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
    assert.deepEqual(await chainStates(uniqueId), [
      ['cancel', 'unknown', null],
      ['transfer', 'mined', true],
    ]);
    const notice = await waitUntil(
      async () =>
        h.upstream.requests
          .filter((r) => r.path === '/payment-completed')
          .map((r) => JSON.parse(r.body.toString()).token as string)
          .map((token) => decodePaymentCompleted(token, { keys: { current: h.signingKey }, freshness: null }))
          .find((decoded) => decoded.unique_id === uniqueId),
      10_000,
      'the payment-completed notice of the payout the cancel lost to',
    );
    assert.equal(notice.tx_hash, transfer.hash);
    const recovered = await call(`${h.urls.adminApi}/failed-transactions/${uniqueId}/status`, 'PUT', {
      status: 'recovered',
      admin_notes: 'paid before the cancel',
    });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.equal((recovered.body.failure as { recovery_tx_hash: string }).recovery_tx_hash, transfer.hash);
  });

  it('answers cancel_pending while neither transaction is mined, and cancels once asked again after mining', async () => {
    const uniqueId = id('slow-cancel');
    const to = recipient();
    await broadcastAndCrash(uniqueId, to);
    try {
      await recordTimeoutFailure(uniqueId, to);
      const first = await cancelRequest(uniqueId);
      assert.equal(first.status, 409, JSON.stringify(first.body));
      assert.equal(first.body.error, 'cancel_pending');
      assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_pending_review');
      assert.deepEqual(await chainStates(uniqueId), [
        ['cancel', 'pending', null],
        ['transfer', 'unknown', null],
      ]);
      await mineBlocks(h.anvil.rpcUrl, 1);
      const second = await cancelRequest(uniqueId);
      assert.equal(second.status, 200, JSON.stringify(second.body));
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_cancelled');
    assert.equal((await h.payout(uniqueId))?.status, 'cancelled');
    const txs = await listPayoutTransactions(h.db.sql, { uniqueId });
    assert.equal(txs.length, 2, 'asking again signs no second cancel');
    assert.equal(await provider.getBalance(to), 0n);
    assert.equal(await transfersTo(to), 0);
  });

  it('logs every operator change and recovery run as an event, and never a secret', () => {
    assert.ok(h.events('admin_status_changed').length >= 3);
    assert.ok(h.events('admin_retry_requested').length >= 1);
    assert.ok(h.events('recovery_run').length >= 3);
    assertNoSecretInLogs(h);
  });
});
