/**
 * executePayment, retryPayment and recordFailure end to end: real PostgreSQL, anvil behind a
 * proxy, the local Cloud Tasks endpoint, the functions through the Functions Framework.
 */
import assert from 'node:assert/strict';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { mineBlocks, setAutomine, setBalance } from '../../../local/anvil.js';
import { getFailedTransaction, listPayoutTransactions } from '../../../shared/db/index.js';
import { decodePaymentCompleted, decodePaymentFailed } from '../../../shared/token/index.js';
import { countTransfers } from '../../support/chainAudit.js';
import { assertNoSecretInLogs, type Harness, startHarness, waitUntil } from '../../support/hostpay.js';

const ERC20 = ['function balanceOf(address) view returns (uint256)'];

describe('functions: executePayment, retryPayment, recordFailure', function () {
  this.timeout(120_000);
  let h: Harness;
  let provider: JsonRpcProvider;
  let n = 0;
  const id = (label: string) => `${label}-${Date.now()}-${++n}`;
  const recipient = () => Wallet.createRandom().address;

  before(async () => {
    h = await startHarness();
    provider = new JsonRpcProvider(h.anvil.rpcUrl, h.anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
  });
  after(async () => {
    provider?.destroy();
    await h?.stop();
  });

  const transfersTo = (to: string) => countTransfers(provider, h.wallet.address, to);

  function noticesFor(path: string, uniqueId: string) {
    return h.upstream.requests
      .filter((r) => r.path === path)
      .map((r) => JSON.parse(r.body.toString()).token as string)
      .filter((token) => {
        const decode = path === '/payment-completed' ? decodePaymentCompleted : decodePaymentFailed;
        return decode(token, { keys: { current: h.signingKey }, freshness: null }).unique_id === uniqueId;
      });
  }

  it('pays ETH once, tells the upstream with a token it can decode, and marks the ledger confirmed', async () => {
    const uniqueId = id('eth');
    const to = recipient();
    await h.pay({ unique_id: uniqueId, from_amount: 0.01, payin_address: to });
    const payout = await h.waitForPayout(uniqueId, ['confirmed']);
    assert.equal(await provider.getBalance(to), 10n ** 16n);
    assert.equal(await transfersTo(to), 1);
    await waitUntil(async () => noticesFor('/payment-completed', uniqueId).length > 0, 10_000, 'the notice');
    const [token] = noticesFor('/payment-completed', uniqueId);
    const notice = decodePaymentCompleted(token!, { keys: { current: h.signingKey }, freshness: null });
    assert.equal(notice.tx_hash, payout.confirmedTxHash);
    assert.equal(notice.tx_status, 'success');
    assert.equal(notice.block_number, payout.confirmedBlockNumber);
    const events = h.logs.filter((l) => l.unique_id === uniqueId).map((l) => l.event_type);
    for (const expected of [
      'payment_received',
      'payment_submitted',
      'payment_confirmed',
      'upstream_notified',
    ]) {
      assert.ok(events.includes(expected), `${expected} in ${events.join(', ')}`);
    }
  });

  it('pays a USDT-like token (transfer returns nothing) with exact base units and no ETH value', async () => {
    const uniqueId = id('usdt');
    const to = recipient();
    await h.pay({ unique_id: uniqueId, from_currency: 'usdt', from_amount: 3.11693635, payin_address: to });
    const payout = await h.waitForPayout(uniqueId, ['confirmed']);
    const usdt = new Contract(h.tokens.usdt, ERC20, provider);
    assert.equal(await usdt.getFunction('balanceOf')(to), 3_116_936n);
    const tx = await provider.getTransaction(payout.confirmedTxHash!);
    assert.equal(tx?.value, 0n);
    assert.equal(tx?.to, h.tokens.usdt);
    assert.equal(await provider.getBalance(to), 0n);
  });

  it('rides out two 429s on the send: attempt 3 succeeds after the delays, with one transfer', async () => {
    const uniqueId = id('ratelimit');
    const to = recipient();
    h.proxy.rateLimit({ method: 'eth_sendRawTransaction', times: 2 });
    await h.pay({ unique_id: uniqueId, payin_address: to });
    const payout = await h.waitForPayout(uniqueId, ['confirmed'], 60_000);
    assert.equal(payout.attemptCount, 3);
    assert.equal(await transfersTo(to), 1);
    const retries = h.events('payment_retry_scheduled', uniqueId);
    assert.equal(retries.length, 2);
    assert.ok(retries.every((e) => e.error_code === 'RATE_LIMIT_EXCEEDED'));
  });

  it('records three transient failures: failed_transactions row, ERROR event, Slack, upstream payment-failed', async () => {
    const uniqueId = id('transient');
    const to = recipient();
    h.proxy.rateLimit({ method: 'eth_getBlockByNumber', times: 3 });
    await h.pay({ unique_id: uniqueId, payin_address: to });
    await h.waitForPayout(uniqueId, ['failed'], 60_000);
    const row = await waitUntil(
      () => getFailedTransaction(h.db.sql, { uniqueId }),
      15_000,
      'the failure row',
    );
    assert.equal(row.errorCode, 'RATE_LIMIT_EXCEEDED');
    assert.equal(row.attemptCount, 3);
    assert.equal(row.status, 'failed_retryable');
    assert.equal(h.events('payment_failed_permanently', uniqueId)[0]?.severity, 'ERROR');
    await waitUntil(
      async () => noticesFor('/payment-failed', uniqueId).length > 0,
      10_000,
      'the failed notice',
    );
    assert.ok(h.slack.requests.some((r) => r.body.toString().includes(uniqueId)));
    assert.equal(await transfersTo(to), 0);
    assert.deepEqual(await listPayoutTransactions(h.db.sql, { uniqueId }), []);
  });

  for (const [label, fields, code] of [
    ['a bad address', { payin_address: '0x459b9C28A8e266d59Ff57A8206730A4a264d5A2E' }, 'INVALID_ADDRESS'],
    ['an unsupported currency', { from_currency: 'doge' }, 'UNSUPPORTED_CURRENCY'],
    ['an amount over the cap', { from_amount: 11 }, 'INVALID_AMOUNT'],
  ] as const) {
    it(`records ${label} at once as ${code}, with no attempt left to run`, async () => {
      const uniqueId = id('permanent');
      const answer = await h.post('executePayment', { token: h.token({ unique_id: uniqueId, ...fields }) });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'failed');
      assert.equal(answer.body.error_code, code);
      const row = await waitUntil(
        () => getFailedTransaction(h.db.sql, { uniqueId }),
        15_000,
        'the failure row',
      );
      assert.equal(row.errorCode, code);
      assert.equal(row.status, 'failed_pending_review');
      assert.equal(h.events('payment_retry_scheduled', uniqueId).length, 0);
    });
  }

  it('records "insufficient funds" from an empty wallet, never drops it, and sends nothing', async () => {
    const uniqueId = id('empty');
    const to = recipient();
    const before = await provider.getBalance(h.wallet.address);
    await setBalance(h.anvil.rpcUrl, h.wallet.address, 10n ** 15n);
    try {
      const answer = await h.post('executePayment', {
        token: h.token({ unique_id: uniqueId, payin_address: to }),
      });
      assert.equal(answer.body.status, 'failed');
      assert.equal(answer.body.error_code, 'INSUFFICIENT_FUNDS');
    } finally {
      await setBalance(h.anvil.rpcUrl, h.wallet.address, before);
    }
    const row = await waitUntil(
      () => getFailedTransaction(h.db.sql, { uniqueId }),
      15_000,
      'the failure row',
    );
    assert.equal(row.errorCode, 'INSUFFICIENT_FUNDS');
    assert.equal(await transfersTo(to), 0);
  });

  it('warns wallet_balance_low when a payout leaves the hot wallet under the threshold, and still pays', async () => {
    const uniqueId = id('low');
    const to = recipient();
    const before = await provider.getBalance(h.wallet.address);
    await setBalance(h.anvil.rpcUrl, h.wallet.address, 3n * 10n ** 17n);
    try {
      const answer = await h.post('executePayment', {
        token: h.token({ unique_id: uniqueId, payin_address: to }),
      });
      assert.equal(answer.body.status, 'success');
    } finally {
      await setBalance(h.anvil.rpcUrl, h.wallet.address, before);
    }
    const [warning] = h.events('wallet_balance_low', uniqueId);
    assert.equal(warning?.severity, 'WARNING');
    assert.equal(warning?.balance_wei, String(3n * 10n ** 17n));
    assert.equal(h.events('wallet_balance_low').length, 1, 'a well-funded wallet raises no warning');
  });

  it('ends pending when mining stops, checks again without using an attempt, and confirms once mining resumes', async () => {
    const uniqueId = id('pending');
    const to = recipient();
    await setAutomine(h.anvil.rpcUrl, false);
    try {
      const answer = await h.post('executePayment', {
        token: h.token({ unique_id: uniqueId, payin_address: to }),
      });
      assert.equal(answer.body.status, 'pending_confirmation');
      const pending = await h.payout(uniqueId);
      assert.equal(pending?.attemptCount, 1);
      await waitUntil(
        async () => h.events('payment_pending_confirmation', uniqueId).length >= 2,
        20_000,
        'a check',
      );
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    await mineBlocks(h.anvil.rpcUrl, 1);
    const payout = await h.waitForPayout(uniqueId, ['confirmed'], 30_000);
    assert.equal(payout.attemptCount, 1);
    assert.equal(await transfersTo(to), 1);
  });

  it('pays once when the same token arrives twice at the same moment and again after success', async () => {
    const uniqueId = id('dup');
    const to = recipient();
    const token = h.token({ unique_id: uniqueId, payin_address: to });
    const answers = await Promise.all([
      h.post('executePayment', { token }),
      h.post('executePayment', { token }),
    ]);
    const statuses = answers.map((a) => a.body.status).sort();
    assert.deepEqual(statuses, ['in_progress', 'success']);
    const again = await h.post('executePayment', { token });
    assert.equal(again.body.status, 'already_completed');
    assert.equal(await transfersTo(to), 1);
  });

  it('answers 5xx when the queue is unreachable after broadcast; the redelivery pays nothing more and notifies', async () => {
    const uniqueId = id('queue-down');
    const to = recipient();
    const token = h.token({ unique_id: uniqueId, payin_address: to });
    const { createExecutePayment } = await import('../../../functions/executePayment.js');
    const { startFunction } = await import('../../support/hostpay.js');
    const cut = await startFunction(
      'executePayment',
      createExecutePayment({ env: { ...h.env, TASKS_EMULATOR_HOST: '127.0.0.1:9' } }),
    );
    try {
      const first = await fetch(cut.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      assert.equal(first.status, 503);
    } finally {
      await cut.close();
    }
    assert.equal((await h.payout(uniqueId))?.status, 'confirmed');
    const redelivered = await h.post('executePayment', { token });
    assert.equal(redelivered.body.status, 'already_completed');
    await waitUntil(async () => noticesFor('/payment-completed', uniqueId).length > 0, 10_000, 'the notice');
    assert.equal(await transfersTo(to), 1);
  });

  it('refuses a bad signature with 401 and a token_rejected event, storing nothing', async () => {
    const uniqueId = id('forged');
    const token = h.token({ unique_id: uniqueId });
    const raw = Buffer.from(token, 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    const answer = await h.post('executePayment', { token: raw.toString('base64url') });
    assert.equal(answer.status, 401);
    assert.equal(h.logs.filter((l) => l.event_type === 'token_rejected').at(-1)?.severity, 'ERROR');
    assert.equal(await h.payout(uniqueId), null);
    assert.equal(await getFailedTransaction(h.db.sql, { uniqueId }), null);
  });

  it('records a validly signed but expired token as TOKEN_EXPIRED', async () => {
    const uniqueId = id('expired');
    const token = h.token({ unique_id: uniqueId }, Math.floor(Date.now() / 1000) - 7201);
    const answer = await h.post('executePayment', { token });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.error_code, 'TOKEN_EXPIRED');
    const row = await waitUntil(
      () => getFailedTransaction(h.db.sql, { uniqueId }),
      15_000,
      'the failure row',
    );
    assert.equal(row.errorCode, 'TOKEN_EXPIRED');
  });

  for (const [label, body, status] of [
    ['malformed JSON', '{"token": ', 400],
    ['a missing token', { nothing: true }, 400],
    ['an oversized body', { token: 'x'.repeat(20_000) }, 413],
  ] as const) {
    it(`answers ${status} to ${label}`, async () => {
      const answer = await h.post('executePayment', body);
      assert.equal(answer.status, status);
    });
  }

  it('skips a token whose attempt_count is above the maximum', async () => {
    const uniqueId = id('stray');
    const { encodePaymentRequest } = await import('../../../shared/token/index.js');
    const token = encodePaymentRequest(
      {
        unique_id: uniqueId,
        cn_api_id: 'cn',
        from_currency: 'eth',
        from_network: 'eth',
        from_amount: 0.01,
        payin_address: recipient(),
        context: 'instant',
        attempt_count: 4,
      },
      { key: h.signingKey, now: Math.floor(Date.now() / 1000) },
    );
    const answer = await h.post('retryPayment', { token });
    assert.equal(answer.body.status, 'skipped');
    assert.equal(await h.payout(uniqueId), null);
  });

  it('answers GET /health with each component: 200 when all answer, 503 naming the one that does not', async () => {
    for (const url of Object.values(h.urls)) {
      const answer = await fetch(`${url}/health`);
      const report = (await answer.json()) as { status: string; components: Record<string, { ok: boolean }> };
      assert.equal(answer.status, 200, JSON.stringify(report));
      assert.equal(report.components.database?.ok, true);
      assert.equal(report.components.queue?.ok, true);
    }
    const { createExecutePayment } = await import('../../../functions/executePayment.js');
    const { startFunction } = await import('../../support/hostpay.js');
    const deadDb = h.env.DATABASE_URL!.replace(/:\d+\//, ':9/');
    const cut = await startFunction(
      'executePayment',
      createExecutePayment({ env: { ...h.env, DATABASE_URL: deadDb } }),
    );
    try {
      const answer = await fetch(`${cut.url}/health`);
      const text = await answer.text();
      assert.equal(answer.status, 503);
      const report = JSON.parse(text) as { components: Record<string, { ok: boolean }> };
      assert.equal(report.components.database?.ok, false);
      assert.equal(report.components.chain?.ok, true);
      assert.ok(!text.includes(h.signingKey) && !text.includes(deadDb));
    } finally {
      await cut.close();
    }
  });

  it('never writes a secret into a log line', () => {
    assertNoSecretInLogs(h);
    assert.ok(h.rawLogs.length > 20);
  });
});
