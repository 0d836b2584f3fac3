/**
 * The operators' console in a real browser (headless Chromium, puppeteer-core) against hostpay on real
 * parts (`startHarness`): balances, a payout appearing and confirming, a failure force-retried from its
 * button and recovered, a pending payout cancelled from its button, refusals shown as the API says them,
 * charts. A screenshot of each view goes to `test-results/`; `UPDATE_SCREENSHOT=1` also rewrites
 * `docs/console.png`, the one the README shows. Every call the page makes is checked against the OpenAPI
 * document.
 */
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import { mineBlocks, setAutomine, setBalance } from '../../../local/anvil.js';
import { OPENAPI } from '../../../shared/admin/openapi.js';
import { getFailedTransaction } from '../../../shared/db/index.js';
import { formatBaseUnits } from '../../../shared/money.js';
import { type ConsolePage, openConsole, waitForText } from '../../support/browser.js';
import { type Harness, startHarness } from '../../support/hostpay.js';
import { checkExchange, operationOf } from '../../support/openapi.js';
import { broadcastAndCrash, recordTimeoutFailure } from '../../support/recoveryFlows.js';

const OPERATOR = 'ops@example.com';
const FUNDED = 100n * 10n ** 18n;
/** A unique_id the upstream may send (no control characters) that would run script if parsed as HTML. */
const HOSTILE = "console-<img src=x onerror='document.body.dataset.owned=1'>";
const doc = OPENAPI as unknown as Parameters<typeof checkExchange>[0];

describe('operators console in headless Chromium', function () {
  this.timeout(60_000);
  let h: Harness;
  let c: ConsolePage;
  let provider: JsonRpcProvider;

  const row = (uniqueId: string) => `tr[data-unique-id="${uniqueId}"]`;
  const statusOf = (uniqueId: string) =>
    c.page.$eval(row(uniqueId), (el) => el.getAttribute('data-status')).catch(() => null);
  const waitForStatus = (uniqueId: string, status: string, timeoutMs = 20_000) =>
    c.page.waitForSelector(`${row(uniqueId)}[data-status="${status}"]`, { timeout: timeoutMs });
  const open = async (hash: string, loaded: string) => {
    await c.page.evaluate((target) => {
      location.hash = target;
    }, hash);
    await c.page.waitForSelector(`body[data-view="${loaded}"][data-loaded="${loaded}"]`);
  };
  /** Clicks in the page itself: the tables are re-rendered every few seconds under the pointer. */
  const click = (selector: string) =>
    c.page.$eval(selector, (el) => {
      (el as HTMLElement).click();
    });
  /** Presses an action of a failure row, writes the notes in the dialog and confirms; answers the notice. */
  async function act(uniqueId: string, action: string, notes: string, expect: 'ok' | 'refused') {
    const before = c.exchanges.length;
    await c.page.waitForSelector(`${row(uniqueId)} button[data-action="${action}"]:not([disabled])`);
    await click(`${row(uniqueId)} button[data-action="${action}"]`);
    await c.page.waitForSelector('dialog#confirm[open]');
    await c.page.type('#confirm-notes', notes);
    await c.screenshot(`dialog-${action}`);
    await click('#confirm-ok');
    await c.page.waitForSelector(`#notice.${expect}:not([hidden])`);
    const answer = c.exchanges.slice(before).find((e) => e.method !== 'GET');
    assert.ok(answer, `the page called adminApi to ${action}`);
    return { notice: await waitForText(c.page, '#notice .text', Boolean, 'the notice'), answer };
  }

  before(async () => {
    h = await startHarness();
    provider = new JsonRpcProvider(h.anvil.rpcUrl, undefined, { staticNetwork: true });
    c = await openConsole(`${h.urls.adminApi}/`);
    await c.page.evaluate((name) => localStorage.setItem('hostpay.operator', name), OPERATOR);
    await c.page.reload({ waitUntil: 'load' });
  });
  after(async () => {
    await c?.close();
    provider?.destroy();
    await h?.stop();
  });

  it("shows the hot wallet's exact balances with the low-balance threshold", async () => {
    await c.page.waitForSelector('#balances li[data-symbol="usdt"]');
    const eth = formatBaseUnits(await provider.getBalance(h.wallet.address), 18);
    assert.equal(await c.page.$eval('#balances li[data-symbol="eth"] .amount', (el) => el.textContent), eth);
    assert.equal(
      await c.page.$eval('#balances li[data-symbol="usdt"] .amount', (el) => el.textContent),
      formatBaseUnits(10n ** 12n, 6),
    );
    assert.match(await waitForText(c.page, '#balances .hint', Boolean, 'the threshold'), /0\.5 ETH/);
    assert.equal(await c.page.$('#balances li.low'), null, 'a funded wallet is not flagged');
  });

  it('shows a payout appear and confirm in the live table, filters it, and opens its detail', async () => {
    await h.pay({ unique_id: 'console-paid', from_amount: 0.01 });
    await h.pay({ unique_id: HOSTILE, from_amount: 0.01 });
    await waitForStatus('console-paid', 'confirmed');
    await c.page.waitForSelector(row(HOSTILE));
    assert.equal(await c.page.$eval(`${row(HOSTILE)} a`, (el) => el.textContent), HOSTILE, 'shown as text');
    assert.equal(await c.page.$(`${row(HOSTILE)} img`), null, 'never parsed as HTML');
    await c.screenshot('payouts');
    await c.page.select('select[name="status"]', 'failed');
    await c.page.waitForSelector(row('console-paid'), { hidden: true });
    await c.page.select('select[name="status"]', 'confirmed');
    await waitForStatus('console-paid', 'confirmed');
    assert.ok(c.exchanges.some((e) => e.url.includes('status=failed')));
    await c.page.select('select[name="status"]', '');

    await click(`${row('console-paid')} a`);
    await c.page.waitForSelector('body[data-loaded="payout"] #payout dl');
    const payout = await h.payout('console-paid');
    await c.page.waitForSelector(`#payout tr[data-hash="${payout!.confirmedTxHash}"]`);
    const detail = await waitForText(c.page, '#payout', (t) => t.includes('mined'), 'the node to say mined');
    assert.match(detail, /0\.01 eth \(10000000000000000 base units, 18 decimals\)/);
    assert.equal(await c.page.$('#payout a[href^="https://"]'), null, 'a local chain has no explorer link');
    await c.screenshot('payout-detail');
  });

  it('drained wallet: the failure shows, a plain retry is refused as the API says, a force-retry recovers it', async () => {
    await open('#/payouts', 'payouts');
    await setBalance(h.anvil.rpcUrl, h.wallet.address, 0n);
    await c.page.waitForSelector('#balances li.low[data-symbol="eth"] .flag');
    await h.pay({ unique_id: 'console-drained', from_amount: 0.01 });
    await waitForStatus('console-drained', 'failed');
    await c.screenshot('payouts-low-balance');

    await open('#/failures', 'failures');
    await waitForStatus('console-drained', 'failed_pending_review');
    const refused = await act('console-drained', 'retry', 'try again', 'refused');
    const body = refused.answer.body as { error: string; message: string };
    assert.equal(refused.answer.status, 409);
    assert.equal(body.error, 'not_retryable');
    assert.ok(
      refused.notice.includes(`409 not_retryable: ${body.message}`),
      `the refusal shown as the API said it: ${refused.notice}`,
    );
    await c.screenshot('failures-refused');

    await setBalance(h.anvil.rpcUrl, h.wallet.address, FUNDED);
    const forced = await act('console-drained', 'force-retry', 'wallet funded', 'ok');
    assert.equal(forced.answer.status, 202);
    const started = Date.now();
    await waitForStatus('console-drained', 'recovered', 20_000);
    const failure = await getFailedTransaction(h.db.sql, { uniqueId: 'console-drained' });
    const payout = await h.payout('console-drained');
    assert.equal(payout?.status, 'confirmed');
    assert.equal(failure?.recoveryTxHash, payout?.confirmedTxHash);
    assert.equal(failure?.recoveredBy, OPERATOR, 'who pressed the button, from the operator field');
    assert.match(failure?.adminNotes ?? '', /wallet funded/);
    assert.ok(Date.now() - started < 15_000, 'recovered within seconds');
    await c.screenshot('failures');

    // The Slack alert of the failure links the payout in the console: following it opens its detail.
    const link = h.slack.requests
      .map((r) => (JSON.parse(r.body.toString()) as { text: string }).text)
      .find((text) => text.includes('console-drained'))
      ?.match(/<([^|>]+)\|open in the console>/)?.[1];
    assert.equal(link, `${h.urls.adminApi}/#/payout/console-drained`);
    await c.page.goto(link!, { waitUntil: 'load' });
    await c.page.waitForSelector('body[data-loaded="payout"] #payout dl');
    await waitForText(c.page, '#payout', (t) => t.includes('console-drained'), 'the linked payout');
  });

  it('cancels a pending payout from its button: cancel_pending shown until the cancel is mined, then cancelled', async () => {
    await open('#/failures', 'failures');
    const to = Wallet.createRandom().address;
    await broadcastAndCrash(h, 'console-pending', to); // mining stays stopped
    try {
      await recordTimeoutFailure(h, 'console-pending', to);
      await waitForStatus('console-pending', 'failed_pending_review');
      const pending = await act('console-pending', 'cancel', 'customer withdrew', 'refused');
      const body = pending.answer.body as { error: string; message: string };
      assert.deepEqual([pending.answer.status, body.error], [409, 'cancel_pending']);
      assert.ok(pending.notice.includes(`409 cancel_pending: ${body.message}`), pending.notice);
      assert.equal((await h.payout('console-pending'))?.status, 'cancel_requested');
      await mineBlocks(h.anvil.rpcUrl, 2);
    } finally {
      await setAutomine(h.anvil.rpcUrl, true);
    }
    const done = await act('console-pending', 'cancel', 'asked again', 'ok');
    assert.equal(done.answer.status, 200, JSON.stringify(done.answer.body));
    await waitForStatus('console-pending', 'failed_cancelled');
    assert.equal((await h.payout('console-pending'))?.status, 'cancelled');
    assert.equal(await provider.getBalance(to), 0n, 'the recipient was not paid');
    assert.equal(await statusOf('console-pending'), 'failed_cancelled');
    await c.screenshot('failures-cancelled');
  });

  it('draws the charts: payouts by outcome, time to confirm p50/p95, failures by error code', async () => {
    await open('#/charts', 'charts');
    await c.page.waitForSelector('#failures-chart .uplot');
    assert.equal((await c.page.$$('.uplot')).length, 3);
    const legend = (id: string) =>
      c.page.$$eval(`#${id} .u-legend .u-series .u-label`, (els) => els.map((el) => el.textContent));
    assert.deepEqual((await legend('payouts-chart')).slice(1), [
      'confirmed',
      'failed',
      'cancelled',
      'in flight',
    ]);
    assert.deepEqual((await legend('confirm-chart')).slice(1), ['p50', 'p95']);
    assert.deepEqual((await legend('failures-chart')).slice(1), [
      'CONFIRMATION_TIMEOUT',
      'INSUFFICIENT_FUNDS',
    ]);
    await c.screenshot('charts');
    await open('#/payouts', 'payouts');
    await waitForStatus('console-pending', 'cancelled');
    await c.screenshot('console', process.env.UPDATE_SCREENSHOT ? 'docs/console.png' : undefined);
  });

  it('made only calls the OpenAPI document describes, and the page raised no error', () => {
    assert.deepEqual(
      c.exchanges.flatMap((exchange) => checkExchange(doc, exchange)),
      [],
    );
    const used = new Set(
      c.exchanges.map((e) => operationOf(doc, e.method, new URL(e.url, 'http://a').pathname)),
    );
    for (const operation of [
      'GET /balances',
      'GET /payouts',
      'GET /payouts/{key}',
      'GET /failed-transactions',
      'POST /failed-transactions/{unique_id}/retry',
      'PUT /failed-transactions/{unique_id}/status',
      'GET /stats',
    ])
      assert.ok(used.has(operation), `${operation} used by the page`);
    assert.deepEqual(c.errors, []);
  });
});
