/**
 * Recovery end to end (issue 6): recoverPayments and adminApi against payouts that failed or stalled for
 * real, on PostgreSQL, anvil, the local Cloud Tasks endpoint and the functions; the chain is the judge.
 */
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createAdminApi } from '../../functions/adminApi.js';
import { createRecoverPayments } from '../../functions/recoverPayments.js';
import { mineBlocks, pendingTransactionHashes, setAutomine, setBalance } from '../../local/anvil.js';
import { buildAssetTable, resolveAsset } from '../../shared/assets.js';
import { createChainClient, transferPayout } from '../../shared/chain/index.js';
import {
  claimPayout,
  getFailedTransaction,
  incrementAttempt,
  insertFailedTransaction,
  listPayoutTransactions,
  markPayoutSubmitted,
  releaseLease,
} from '../../shared/db/index.js';
import { countTransfers } from '../support/chainAudit.js';
import { type Harness, startFunction, startHarness, waitUntil } from '../support/hostpay.js';

describe('recovery on chain: recoverPayments and adminApi', function () {
  this.timeout(120_000);
  let h: Harness;
  let provider: JsonRpcProvider;
  let admin: Awaited<ReturnType<typeof startFunction>>;
  let recover: Awaited<ReturnType<typeof startFunction>>;
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
    admin = await startFunction('adminApi', createAdminApi({ env: h.env }));
    recover = await startFunction('recoverPayments', createRecoverPayments({ env: h.env }));
  });
  after(async () => {
    provider?.destroy();
    await admin?.close();
    await recover?.close();
    await h?.stop();
  });

  async function call(url: string, method: string, body?: unknown) {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'x-operator': 'test-operator' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /**
   * An attempt that broadcast and died before it could schedule anything: attempt 1 counted, the transfer
   * stored and sent while mining is stopped, the payout left `submitted` with no task. Mining stays stopped.
   */
  async function broadcastAndCrash(uniqueId: string, to: string): Promise<void> {
    const chain = createChainClient({
      rpcUrl: h.anvil.rpcUrl,
      chainId: h.anvil.chainId,
      privateKey: h.env.WALLET_PRIVATE_KEY!,
    });
    const assets = buildAssetTable(h.anvil.chainId, JSON.parse(h.env.ASSETS!));
    const asset = resolveAsset(assets, { currency: 'eth', network: 'eth' });
    // An attempt that broadcast and died before it could schedule anything: no task exists for it.
    const claim = await claimPayout(h.db.sql, {
      uniqueId,
      cnApiId: 'cn-test',
      context: 'instant',
      currency: 'eth',
      network: 'eth',
      chainId: h.anvil.chainId,
      assetAddress: null,
      decimals: 18,
      recipient: to,
      amountDecimal: '0.01',
      amountBaseUnits: 10n ** 16n,
      leaseOwner: 'crashed-delivery',
      leaseSeconds: 1,
    });
    const payoutAtAttempt1 = await incrementAttempt(h.db.sql, { uniqueId, leaseOwner: 'crashed-delivery' });
    await setAutomine(h.anvil.rpcUrl, false);
    try {
      const outcome = await transferPayout(chain, h.db.sql, {
        payout: payoutAtAttempt1,
        asset,
        feeCapWei: 300n * 10n ** 9n,
        priorityFeeWei: 2n * 10n ** 9n,
        gasMarginPercent: 20,
        feeBumpPercent: 15,
        receiptWaitMs: 300,
        confirmations: 1,
      });
      assert.equal(outcome.kind, 'pending');
      await markPayoutSubmitted(h.db.sql, { uniqueId });
      await releaseLease(h.db.sql, { uniqueId, leaseOwner: 'crashed-delivery' });
    } finally {
      chain.provider.destroy();
    }
  }

  const runRecovery = () => call(recover.url, 'POST', {});
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
      const refused = await call(`${admin.url}/failed-transactions/${uniqueId}/retry`, 'POST', {});
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error, 'not_retryable');
      assert.match(String(refused.body.message), /INSUFFICIENT_FUNDS/);
      assert.equal((await getFailedTransaction(h.db.sql, { uniqueId }))?.status, 'failed_pending_review');
    } finally {
      await setBalance(h.anvil.rpcUrl, h.wallet.address, funded);
    }
    const forced = await call(`${admin.url}/failed-transactions/${uniqueId}/retry`, 'POST', {
      force: true,
      notes: 'wallet funded',
    });
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    await h.waitForPayout(uniqueId, ['confirmed']);
    assert.equal(await transfersTo(to), 1);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
    const again = await call(`${admin.url}/failed-transactions/${uniqueId}/retry`, 'POST', { force: true });
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

  it('cancels on chain when an operator sets failed_cancelled on a payout whose transfer is still pending', async () => {
    const uniqueId = id('cancel');
    const to = recipient();
    await broadcastAndCrash(uniqueId, to);
    try {
      await insertFailedTransaction(h.db.sql, {
        uniqueId,
        cnApiId: 'cn-test',
        fromCurrency: 'eth',
        fromNetwork: 'eth',
        fromAmount: '0.01',
        payinAddress: to,
        context: 'instant',
        errorCode: 'CONFIRMATION_TIMEOUT',
        errorMessage: 'not mined in time',
        attemptCount: 3,
      });
      const put = call(`${admin.url}/failed-transactions/${uniqueId}/status`, 'PUT', {
        status: 'failed_cancelled',
        admin_notes: 'customer withdrew',
      });
      // The cancel goes out at the transfer's nonce with higher fees and replaces it in the pool.
      await waitUntil(
        async () =>
          (await pendingTransactionHashes(h.anvil.rpcUrl)).length === 1 &&
          (await listPayoutTransactions(h.db.sql, { uniqueId })).length === 2,
        10_000,
        'the cancel to be sent',
      );
      await mineBlocks(h.anvil.rpcUrl, 1);
      const answer = await put;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const row = await getFailedTransaction(h.db.sql, { uniqueId });
    assert.equal(row?.status, 'failed_cancelled');
    assert.match(row?.adminNotes ?? '', /on-chain cancel/);
    assert.equal((await h.payout(uniqueId))?.status, 'cancelled');
    const txs = await listPayoutTransactions(h.db.sql, { uniqueId });
    assert.deepEqual(txs.map((t) => [t.kind, t.status]).sort(), [
      ['cancel', 'mined'],
      ['transfer', 'replaced'],
    ]);
    assert.equal(await provider.getBalance(to), 0n);
    assert.equal(await transfersTo(to), 0);
    const shown = await call(`${admin.url}/failed-transactions/${uniqueId}`, 'GET');
    const states = (
      shown.body.transactions as { kind: string; chain: { state: string; success?: boolean } }[]
    )
      .map((t) => [t.kind, t.chain.state, t.chain.success ?? null])
      .sort();
    assert.deepEqual(states, [
      ['cancel', 'mined', true],
      ['transfer', 'unknown', null],
    ]);
  });
});
