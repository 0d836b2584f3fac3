import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { Wallet } from 'ethers';
import { createAdminApi } from '../../../functions/adminApi.js';
import type { CloudTasksEmulator } from '../../../local/cloudTasks/index.js';
import { googleIdTokenVerifier } from '../../../shared/admin/operatorIdentity.js';
import {
  claimPayout,
  type FailedTransactionParams,
  getFailedTransaction,
  getPayout,
  insertFailedTransaction,
  markPayoutFailed,
  markTransactionSent,
  recordSignedTransaction,
} from '../../../shared/db/index.js';
import { decodePaymentRequest } from '../../../shared/token/index.js';
import type { TaskTarget } from '../../support/cloudTasks.js';
import { failureParams, payoutRequest, randomHash, WALLET } from '../../support/dbFixtures.js';
import { startFunction } from '../../support/hostpay.js';
import { createIdTokenIssuer } from '../../support/idTokens.js';
import { checkExchange, type Exchange, operationOf } from '../../support/openapi.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import {
  type RecoveryFixture,
  startRecoveryFixture,
  TEST_LOCATION,
  TEST_PROJECT,
} from '../../support/recoveryFixture.js';

const SIGNING_KEY = 'admin-api-test-signing-key-0123456789';

type Answer = { status: number; body: Record<string, unknown> };

/** Every exchange with adminApi in this file, checked against its OpenAPI document at the end. */
const contract: Exchange[] = [];

describe('adminApi through the Functions Framework', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let emulator: CloudTasksEmulator;
  let retryTarget: TaskTarget;
  let fixture: RecoveryFixture;
  let baseUrl: string;
  let close: () => Promise<void>;
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    fixture = await startRecoveryFixture({ signingKey: SIGNING_KEY });
    ({ db, emulator, targets: retryTarget } = fixture);
    const handler = createAdminApi({
      env: fixture.adminEnv,
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    const served = await startFunction('adminApiTest', handler);
    baseUrl = served.url;
    close = served.close;
  });

  after(async () => {
    await close?.();
    await fixture?.stop();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-operator': 'alice@example.com', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    let json = true;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
      json = false;
    }
    // Every request of these tests is also a check of the OpenAPI document against the running function.
    contract.push({ method, url: path, status: response.status, body: parsed, json });
    return { status: response.status, body: parsed };
  }

  async function seedFailure(overrides: Partial<FailedTransactionParams> = {}) {
    const { row } = await insertFailedTransaction(db.sql, failureParams(overrides));
    return row;
  }

  /** A ledger row that failed, with its failure recorded. */
  async function seedFailedPayout(errorCode: string, status?: FailedTransactionParams['status']) {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
    await markPayoutFailed(db.sql, {
      uniqueId: request.uniqueId,
      errorCode,
      errorMessage: `${errorCode} seen`,
    });
    const failure = await seedFailure({
      uniqueId: request.uniqueId,
      errorCode,
      fromCurrency: 'usdt',
      fromAmount: request.amountDecimal,
      ...(status ? { status } : {}),
    });
    return { request, failure };
  }

  describe('GET /failed-transactions', () => {
    const context = 'threshold';
    const ids: string[] = [];
    let createdBetween: Date;

    before(async () => {
      ids.push((await seedFailure({ context, errorCode: 'INSUFFICIENT_FUNDS' })).uniqueId);
      ids.push(
        (await seedFailure({ context, errorCode: 'RATE_LIMIT_EXCEEDED', status: 'failed_retryable' }))
          .uniqueId,
      );
      await new Promise((r) => setTimeout(r, 20));
      createdBetween = new Date();
      await new Promise((r) => setTimeout(r, 20));
      ids.push(
        (await seedFailure({ context, errorCode: 'RATE_LIMIT_EXCEEDED', status: 'failed_retryable' }))
          .uniqueId,
      );
    });

    it('filters by status, error code, context and since, newest first, with the total', async () => {
      const all = await call('GET', `/failed-transactions?context=${context}`);
      assert.equal(all.status, 200);
      assert.equal(all.body.total, 3);
      const items = all.body.items as Record<string, unknown>[];
      assert.deepEqual(
        items.map((i) => i.unique_id),
        [...ids].reverse(),
      );

      const retryable = await call(
        'GET',
        `/failed-transactions?context=${context}&status=failed_retryable&error_code=RATE_LIMIT_EXCEEDED`,
      );
      assert.equal(retryable.body.total, 2);

      const recent = await call(
        'GET',
        `/failed-transactions?context=${context}&since=${createdBetween.toISOString()}`,
      );
      assert.deepEqual(
        (recent.body.items as Record<string, unknown>[]).map((i) => i.unique_id),
        [ids[2]],
      );
    });

    it('pages with limit and offset while the total stays that of the whole match', async () => {
      const page = await call('GET', `/failed-transactions?context=${context}&limit=1&offset=1`);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 3);
      assert.deepEqual(
        (page.body.items as Record<string, unknown>[]).map((i) => i.unique_id),
        [ids[1]],
      );
    });

    const badQueries: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['status=lost', 'status'],
      ['status=failed_retryable,lost', 'status'],
      ['context=weekly', 'context'],
      ['since=yesterday', 'since'],
      ['since=2024-13-45', 'since'],
      ['error_code=rate%20limit', 'error_code'],
      ['sort=created_at', 'sort'],
      ['limit=1&limit=2', 'limit'],
    ];
    for (const [query, parameter] of badQueries) {
      it(`refuses ?${query} with 400 naming ${parameter}`, async () => {
        const answer = await call('GET', `/failed-transactions?${query}`);
        assert.equal(answer.status, 400);
        assert.equal(answer.body.error, 'invalid_query');
        assert.match(String(answer.body.message), new RegExp(`\\b${parameter}\\b`));
      });
    }
  });

  describe('GET /payouts and /payouts/{unique_id or tx hash}', () => {
    const recipient = `0x${'5a'.repeat(20)}`;
    const seeded: string[] = [];
    let transferHash: string;

    before(async () => {
      // One payout in each of four states, all to one recipient, oldest first.
      for (const status of ['confirmed', 'pending_confirmation', 'cancel_requested', 'failed'] as const) {
        const request = payoutRequest({ recipient, context: 'instant', currency: 'usdt' });
        await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
        await db.sql`
          UPDATE payouts SET status = ${status}, lease_owner = NULL, lease_expires_at = NULL,
            confirmed_tx_hash = ${status === 'confirmed' ? randomHash() : null},
            confirmed_block_number = ${status === 'confirmed' ? 9 : null},
            confirmed_at = ${status === 'confirmed' ? new Date() : null},
            last_error_code = ${status === 'failed' ? 'INSUFFICIENT_FUNDS' : null}
          WHERE unique_id = ${request.uniqueId}`;
        seeded.push(request.uniqueId);
      }
      transferHash = randomHash();
      await recordSignedTransaction(db.sql, {
        uniqueId: seeded[1]!,
        chainId: 1,
        fromAddress: WALLET,
        hash: transferHash,
        nonce: 41,
        kind: 'transfer',
        maxFeePerGas: 30_000_000_000n,
        maxPriorityFeePerGas: 2_000_000_000n,
        gasLimit: 65_000n,
        rawTransaction: '0x02f8',
      });
      await seedFailure({ uniqueId: seeded[3]!, errorCode: 'INSUFFICIENT_FUNDS' });
    });

    const ids = (answer: Answer) => (answer.body.items as { uniqueId: string }[]).map((p) => p.uniqueId);

    it('lists payouts in every state, newest first, by recipient, status, context, currency, hash and error', async () => {
      const all = await call('GET', `/payouts?recipient=${recipient}`);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(ids(all), [...seeded].reverse());
      assert.deepEqual(
        ids(
          await call('GET', `/payouts?recipient=${recipient}&status=pending_confirmation,cancel_requested`),
        ),
        [seeded[2], seeded[1]],
      );
      assert.deepEqual(ids(await call('GET', `/payouts?tx_hash=${transferHash}`)), [seeded[1]]);
      assert.deepEqual(
        ids(await call('GET', `/payouts?recipient=${recipient}&error_code=INSUFFICIENT_FUNDS`)),
        [seeded[3]],
      );
      assert.deepEqual(ids(await call('GET', `/payouts?recipient=${recipient}&context=threshold`)), []);
      assert.equal(
        ids(await call('GET', `/payouts?recipient=${recipient}&currency=usdt&created_from=2020-01-01`))
          .length,
        4,
      );
      assert.deepEqual(ids(await call('GET', `/payouts?recipient=${recipient}&created_to=2020-01-01`)), []);
      const confirmed = await call('GET', `/payouts?recipient=${recipient}&confirmed_from=2020-01-01`);
      assert.deepEqual(ids(confirmed), [seeded[0]]);
    });

    it('pages by keyset: every payout once, then no cursor', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const answer = await call(
          'GET',
          `/payouts?recipient=${recipient}&limit=3${after ? `&after=${after}` : ''}`,
        );
        assert.equal(answer.status, 200);
        seen.push(...ids(answer));
        after = answer.body.next as string | null;
        if (after === null) break;
      }
      assert.deepEqual(seen, [...seeded].reverse());
    });

    it('shows a payout by unique_id or by the hash of its transaction, with its failure; reads change nothing', async () => {
      const before = await getPayout(db.sql, { uniqueId: seeded[1]! });
      for (const key of [seeded[1]!, transferHash]) {
        const answer = await call('GET', `/payouts/${key}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal((answer.body.payout as { uniqueId: string }).uniqueId, seeded[1]);
        const transactions = answer.body.transactions as Record<string, unknown>[];
        assert.deepEqual(
          transactions.map((t) => [t.hash, t.nonce, t.rawTransaction]),
          [[transferHash, 41, undefined]],
        );
        assert.equal(answer.body.failure, null);
      }
      assert.deepEqual(await getPayout(db.sql, { uniqueId: seeded[1]! }), before);
      const failed = await call('GET', `/payouts/${seeded[3]}`);
      assert.equal((failed.body.failure as { error_code: string }).error_code, 'INSUFFICIENT_FUNDS');
    });

    it('refuses what it cannot read: 400 naming the parameter, 404 for an unknown payout, 405 for a write', async () => {
      for (const [query, name] of [
        ['limit=0', 'limit'],
        ['limit=501', 'limit'],
        ['status=lost', 'status'],
        ['after=abc', 'after'],
        ['recipient=0x12', 'recipient'],
        ['tx_hash=0xzz', 'tx_hash'],
        ['created_from=2024-13-45', 'created_from'],
        ['colour=red', 'colour'],
      ] as const) {
        const answer = await call('GET', `/payouts?${query}`);
        assert.equal(answer.status, 400, query);
        assert.match(String(answer.body.message), new RegExp(`query parameter ${name}`));
      }
      assert.equal((await call('GET', '/payouts/no-such-payout')).status, 404);
      assert.equal((await call('POST', '/payouts', {})).status, 405);
    });
  });

  describe('GET /failed-transactions/{unique_id}', () => {
    it('shows the failure, its ledger row and its signed transactions without raw bytes', async () => {
      const { request } = await seedFailedPayout('TRANSACTION_REVERTED_PERMANENT');
      const hash = randomHash();
      await recordSignedTransaction(db.sql, {
        uniqueId: request.uniqueId,
        chainId: 1,
        fromAddress: WALLET,
        hash,
        nonce: 7,
        kind: 'transfer',
        maxFeePerGas: 30_000_000_000n,
        maxPriorityFeePerGas: 2_000_000_000n,
        gasLimit: 65_000n,
        rawTransaction: '0x02f8',
      });
      const answer = await call('GET', `/failed-transactions/${request.uniqueId}`);
      assert.equal(answer.status, 200);
      const failure = answer.body.failure as Record<string, unknown>;
      const payout = answer.body.payout as Record<string, unknown>;
      const transactions = answer.body.transactions as Record<string, unknown>[];
      assert.equal(failure.unique_id, request.uniqueId);
      assert.equal(failure.error_code, 'TRANSACTION_REVERTED_PERMANENT');
      assert.equal(payout.status, 'failed');
      assert.equal(payout.amountBaseUnits, request.amountBaseUnits.toString());
      assert.equal(transactions.length, 1);
      assert.equal(transactions[0]?.hash, hash);
      assert.equal(transactions[0]?.maxFeePerGas, '30000000000');
      assert.equal(transactions[0]?.rawTransaction, undefined);
    });

    it('shows a failure that never became a ledger row with payout null', async () => {
      const failure = await seedFailure({ errorCode: 'INVALID_ADDRESS', payinAddress: '0x123' });
      const answer = await call('GET', `/failed-transactions/${failure.uniqueId}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.payout, null);
      assert.deepEqual(answer.body.transactions, []);
    });

    it('answers 404 for an unknown unique_id, on every route', async () => {
      for (const [method, path, body] of [
        ['GET', '/failed-transactions/batch_unknown', undefined],
        ['POST', '/failed-transactions/batch_unknown/retry', {}],
        ['PUT', '/failed-transactions/batch_unknown/status', { status: 'failed_cancelled' }],
      ] as const) {
        const answer = await call(method, path, body);
        assert.equal(answer.status, 404, `${method} ${path}`);
        assert.equal(answer.body.error, 'not_found');
      }
    });

    it('answers 404 for a path it does not serve and 405 for a method it does not allow', async () => {
      assert.equal((await call('GET', '/wallets')).status, 404);
      assert.equal((await call('DELETE', '/failed-transactions/batch_x')).status, 405);
    });
  });

  describe('POST /failed-transactions/{unique_id}/retry', () => {
    it('refuses INSUFFICIENT_FUNDS without force, with the reason, and changes nothing', async () => {
      const { request, failure } = await seedFailedPayout('INSUFFICIENT_FUNDS');
      const before = retryTarget.requests.length;
      const answer = await call('POST', `/failed-transactions/${request.uniqueId}/retry`, {});
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'not_retryable');
      assert.match(String(answer.body.message), /INSUFFICIENT_FUNDS/);
      assert.match(String(answer.body.message), /force/);
      const after = await getFailedTransaction(db.sql, { uniqueId: request.uniqueId });
      assert.equal(after?.status, failure.status);
      assert.equal(after?.updatedAt.getTime(), failure.updatedAt.getTime());
      assert.equal((await getPayout(db.sql, { uniqueId: request.uniqueId }))?.status, 'failed');
      await emulator.waitForIdle({ timeoutMs: 5000 });
      assert.equal(retryTarget.requests.length, before);
    });

    it('with force: reopens the payout and enqueues exactly one attempt-1 task of a new cycle', async () => {
      const { request } = await seedFailedPayout('INSUFFICIENT_FUNDS');
      const startedAt = Math.floor(Date.now() / 1000);
      const answer = await call('POST', `/failed-transactions/${request.uniqueId}/retry`, {
        force: true,
        notes: 'wallet topped up',
      });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      await emulator.waitForIdle({ timeoutMs: 10_000 });
      const delivered = retryTarget.requests.filter((r) => {
        const { token } = JSON.parse(r.body.toString()) as { token: string };
        return (
          decodePaymentRequest(token, { keys: { current: SIGNING_KEY }, freshness: null }).unique_id ===
          request.uniqueId
        );
      });
      assert.equal(delivered.length, 1);
      assert.equal(delivered[0]?.path, '/retryPayment');
      const { token } = JSON.parse(delivered[0]!.body.toString()) as { token: string };
      const decoded = decodePaymentRequest(token, { keys: { current: SIGNING_KEY }, freshness: null });
      assert.equal(decoded.attempt_count, 1);
      assert.ok(decoded.first_attempt_at >= startedAt, 'a new first_attempt_at');
      assert.equal(decoded.from_amount, Number(request.amountDecimal));
      assert.equal(decoded.payin_address, request.recipient);
      assert.equal(decoded.last_error_code, 'INSUFFICIENT_FUNDS');

      const failure = await getFailedTransaction(db.sql, { uniqueId: request.uniqueId });
      assert.equal(failure?.status, 'retry_scheduled');
      assert.equal(failure?.retryCount, 1);
      assert.equal(failure?.recoveredBy, 'alice@example.com');
      assert.match(failure?.adminNotes ?? '', /retry requested by alice@example\.com: wallet topped up/);
      const payout = await getPayout(db.sql, { uniqueId: request.uniqueId });
      assert.equal(payout?.status, 'received');
      assert.equal(payout?.attemptCount, 0);
      assert.ok(
        logs.some((l) => l.event_type === 'admin_retry_requested' && l.unique_id === request.uniqueId),
      );
    });

    it('retries a transient failure without force, and refuses a second retry while one is scheduled', async () => {
      const { request } = await seedFailedPayout('RATE_LIMIT_EXCEEDED', 'failed_retryable');
      const first = await call('POST', `/failed-transactions/${request.uniqueId}/retry`);
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const second = await call('POST', `/failed-transactions/${request.uniqueId}/retry`, {});
      assert.equal(second.status, 409);
      assert.equal(second.body.error, 'payout_not_failed');
    });

    it('refuses while a transaction of the payout may still be mined', async () => {
      const { request } = await seedFailedPayout('NETWORK_TIMEOUT', 'failed_retryable');
      const hash = randomHash();
      await recordSignedTransaction(db.sql, {
        uniqueId: request.uniqueId,
        chainId: 1,
        fromAddress: WALLET,
        hash,
        nonce: 11,
        kind: 'transfer',
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
        gasLimit: 21_000n,
        rawTransaction: '0x02',
      });
      await markTransactionSent(db.sql, { hash });
      const answer = await call('POST', `/failed-transactions/${request.uniqueId}/retry`, { force: true });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'transaction_pending');
      assert.match(String(answer.body.message), new RegExp(hash));
      assert.equal(
        (await getFailedTransaction(db.sql, { uniqueId: request.uniqueId }))?.status,
        'failed_retryable',
      );
      assert.equal((await getPayout(db.sql, { uniqueId: request.uniqueId }))?.status, 'failed');
    });

    it('re-runs a failure that has no ledger row from its stored fields', async () => {
      const failure = await seedFailure({
        errorCode: 'NETWORK_TIMEOUT',
        status: 'failed_retryable',
        context: 'instant',
      });
      const answer = await call('POST', `/failed-transactions/${failure.uniqueId}/retry`, {});
      assert.equal(answer.status, 202);
      await emulator.waitForIdle({ timeoutMs: 10_000 });
      const tokens = retryTarget.requests.map((r) =>
        decodePaymentRequest((JSON.parse(r.body.toString()) as { token: string }).token, {
          keys: { current: SIGNING_KEY },
          freshness: null,
        }),
      );
      const mine = tokens.filter((t) => t.unique_id === failure.uniqueId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.context, 'instant');
      assert.equal(mine[0]?.from_currency, 'usdt');
      assert.equal(mine[0]?.from_amount, 3.11693635);
    });

    const badBodies: [string, string, string][] = [
      ['{"force": tru', 'malformed_json', 'not valid JSON'],
      ['[1, 2]', 'malformed_body', 'JSON object'],
      ['{"force": "yes"}', 'invalid_body', 'force'],
      ['{"notes": 5}', 'invalid_body', 'notes'],
      ['{"forse": true}', 'invalid_body', 'forse'],
    ];
    for (const [body, error, mentions] of badBodies) {
      it(`refuses the body ${body} with 400 and changes nothing`, async () => {
        const failure = await seedFailure({ errorCode: 'NETWORK_TIMEOUT', status: 'failed_retryable' });
        const answer = await call('POST', `/failed-transactions/${failure.uniqueId}/retry`, body);
        assert.equal(answer.status, 400);
        if (answer.body.error !== undefined) assert.equal(answer.body.error, error);
        if (answer.body.message !== undefined)
          assert.match(String(answer.body.message), new RegExp(mentions));
        const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
        assert.equal(after?.status, 'failed_retryable');
        assert.equal(after?.retryCount, 0);
      });
    }
  });

  describe('PUT /failed-transactions/{unique_id}/status', () => {
    it('cancels a failed payout: the failure is failed_cancelled, the ledger row cancelled, who is recorded', async () => {
      const { request } = await seedFailedPayout('INSUFFICIENT_FUNDS');
      const answer = await call('PUT', `/failed-transactions/${request.uniqueId}/status`, {
        status: 'failed_cancelled',
        admin_notes: 'paid by hand',
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const failure = await getFailedTransaction(db.sql, { uniqueId: request.uniqueId });
      assert.equal(failure?.status, 'failed_cancelled');
      assert.equal(failure?.recoveredBy, 'alice@example.com');
      assert.match(
        failure?.adminNotes ?? '',
        /failed_pending_review -> failed_cancelled by alice@example\.com: paid by hand/,
      );
      assert.equal((await getPayout(db.sql, { uniqueId: request.uniqueId }))?.status, 'cancelled');
      assert.ok(
        logs.some((l) => l.event_type === 'admin_status_changed' && l.unique_id === request.uniqueId),
      );
    });

    it('refuses a transition the table does not allow with 409 naming both statuses, nothing changed', async () => {
      const { request } = await seedFailedPayout('INSUFFICIENT_FUNDS');
      const path = `/failed-transactions/${request.uniqueId}/status`;
      assert.equal((await call('PUT', path, { status: 'failed_cancelled' })).status, 200);
      const stored = await getFailedTransaction(db.sql, { uniqueId: request.uniqueId });
      const answer = await call('PUT', path, { status: 'failed_retryable', admin_notes: 'undo' });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'transition_refused');
      assert.equal(answer.body.from, 'failed_cancelled');
      assert.equal(answer.body.to, 'failed_retryable');
      const after = await getFailedTransaction(db.sql, { uniqueId: request.uniqueId });
      assert.deepEqual(after, stored);
    });

    it('refuses recovered without proof of payment and accepts it with the paying hash', async () => {
      const failure = await seedFailure({ errorCode: 'NETWORK_TIMEOUT' });
      const path = `/failed-transactions/${failure.uniqueId}/status`;
      const refused = await call('PUT', path, { status: 'recovered' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error, 'recovery_unproven');
      const hash = randomHash();
      const accepted = await call('PUT', path, {
        status: 'recovered',
        recovery_tx_hash: hash,
        admin_notes: 'seen',
      });
      assert.equal(accepted.status, 200);
      const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
      assert.equal(after?.status, 'recovered');
      assert.equal(after?.recoveryTxHash, hash);
      assert.ok(after?.recoveredAt instanceof Date);
    });

    const badBodies: [unknown, string][] = [
      [{ status: 'retry_scheduled' }, 'status'],
      [{ status: 'lost' }, 'status'],
      [{}, 'status'],
      [{ status: 'failed_cancelled', admin_notes: 'x'.repeat(2001) }, 'admin_notes'],
      [{ status: 'recovered', recovery_tx_hash: '0x12' }, 'recovery_tx_hash'],
    ];
    for (const [body, mentions] of badBodies) {
      it(`refuses ${JSON.stringify(body).slice(0, 60)} with 400 naming ${mentions}`, async () => {
        const failure = await seedFailure({ errorCode: 'NETWORK_TIMEOUT' });
        const answer = await call('PUT', `/failed-transactions/${failure.uniqueId}/status`, body);
        assert.equal(answer.status, 400);
        assert.match(String(answer.body.message ?? answer.body.text), new RegExp(mentions));
        const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
        assert.deepEqual(after, failure);
      });
    }
  });

  it('refuses malformed JSON sent as application/json with 400 before any change', async () => {
    const failure = await seedFailure({ errorCode: 'NETWORK_TIMEOUT', status: 'failed_retryable' });
    for (const [method, path] of [
      ['POST', `/failed-transactions/${failure.uniqueId}/retry`],
      ['PUT', `/failed-transactions/${failure.uniqueId}/status`],
    ] as const) {
      const answer = await call(method, path, '{"status": "failed_cancelled"');
      assert.equal(answer.status, 400, `${method} ${path}`);
    }
    assert.deepEqual(await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId }), failure);
  });

  it('serves the console (/, /console/{file}) without data, and its read routes /stats and /balances', async () => {
    const page = await call('GET', '/');
    assert.equal(page.status, 200);
    assert.match(String(page.body.text), /<title>hostpay console<\/title>/);
    assert.equal((await call('GET', '/console/app.js')).status, 200);
    assert.equal((await call('GET', '/console/missing.js')).status, 404);
    assert.equal((await call('POST', '/')).status, 405);
    assert.equal((await call('GET', '/stats?bucket=60')).status, 200);
    assert.equal((await call('GET', '/stats?bucket=1')).status, 400);
    // Nothing listens at this suite's RPC URL: unavailable, said without the URL.
    const balances = await call('GET', '/balances');
    assert.deepEqual([balances.status, balances.body.error], [503, 'chain_unavailable']);
    assert.doesNotMatch(JSON.stringify(balances.body), /127\.0\.0\.1/);
  });

  it('serves its OpenAPI 3.1 document at /openapi.json', async () => {
    const answer = await call('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.openapi, '3.1.0');
  });

  it('answers /health with the database and the retry queue', async () => {
    const answer = await call('GET', '/health');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body.components as object).sort(), [
      'configuration',
      'database',
      'queue',
    ]);
  });
});

describe('adminApi in production: operators who cannot be impersonated', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let baseUrl: string;
  let close: () => Promise<void>;
  const issuer = createIdTokenIssuer();
  const AUDIENCE = 'https://admin-api-test.a.run.app';
  const idToken = (email: string, key?: KeyObject) =>
    issuer.sign({ aud: AUDIENCE, email }, key ? { key } : {});

  before(async () => {
    db = await createTestDatabase();
    await insertFailedTransaction(db.sql, failureParams({ uniqueId: 'prod-1' }));
    const handler = createAdminApi({
      env: {
        HOSTPAY_ENV: 'production',
        DATABASE_URL: db.url,
        TOKEN_SIGNING_KEY: SIGNING_KEY,
        TASKS_PROJECT: TEST_PROJECT,
        TASKS_LOCATION: TEST_LOCATION,
        TASKS_INVOKER_SERVICE_ACCOUNT: 'tasks@hostpay-test.iam.gserviceaccount.com',
        RETRY_QUEUE: 'retry',
        RETRY_PAYMENT_URL: 'https://retry-payment.a.run.app/',
        FAILURE_QUEUE: 'failure',
        RECORD_FAILURE_URL: 'https://record-failure.a.run.app/',
        NOTICE_QUEUE: 'notices',
        UPSTREAM_COMPLETED_URL: 'https://upstream.example.com/payment-completed',
        ADMIN_AUDIENCE: AUDIENCE,
        RPC_URL: 'https://rpc.example.com/',
        CHAIN_ID: '1',
        WALLET_PRIVATE_KEY: Wallet.createRandom().privateKey,
      },
      write: () => undefined,
      // Google's verification, trusting a local key in place of Google's published ones.
      verifyIdToken: googleIdTokenVerifier({
        certs: issuer.certs,
      }),
    });
    const served = await startFunction('adminApiProduction', handler);
    baseUrl = served.url;
    close = served.close;
  });
  after(async () => {
    await close?.();
    await db?.drop();
  });

  const put = async (headers: Record<string, string>) => {
    const response = await fetch(`${baseUrl}/failed-transactions/prod-1/status`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ status: 'failed_retryable', admin_notes: 'who am I' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    contract.push({
      method: 'PUT',
      url: '/failed-transactions/prod-1/status',
      status: response.status,
      body,
    });
    return { status: response.status, json: async () => body };
  };

  it('refuses a forged IAP header and a token signed by another key with 401, changing nothing', async () => {
    const forged: Record<string, string>[] = [
      { 'x-goog-authenticated-user-email': 'accounts.google.com:ceo@example.com' },
      { 'x-operator': 'ceo@example.com' },
      { authorization: `Bearer ${idToken('ceo@example.com', issuer.stranger)}` },
    ];
    for (const headers of forged) {
      const response = await put(headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(((await response.json()) as { error: string }).error, 'unauthenticated');
    }
    assert.equal(
      (await getFailedTransaction(db.sql, { uniqueId: 'prod-1' }))?.status,
      'failed_pending_review',
    );
  });

  it('records the operator named by a verified ID token', async () => {
    const response = await put({ authorization: `Bearer ${idToken('ops@example.com')}` });
    assert.equal(response.status, 200);
    const row = await getFailedTransaction(db.sql, { uniqueId: 'prod-1' });
    assert.equal(row?.status, 'failed_retryable');
    assert.match(row?.adminNotes ?? '', /by ops@example\.com/);
  });
});

describe('adminApi OpenAPI 3.1 document', () => {
  it('describes every request the tests above made and every answer they got: route, parameters, status, body', async () => {
    const served = contract.find((e) => e.url === '/openapi.json');
    assert.ok(served, 'GET /openapi.json was called');
    const doc = served.body as Parameters<typeof checkExchange>[0];
    assert.equal((doc as unknown as { openapi: string }).openapi, '3.1.0');
    const problems = contract.flatMap((exchange) => checkExchange(doc, exchange));
    assert.deepEqual(problems, []);
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const hit = new Set(contract.map((e) => operationOf(doc, e.method, new URL(e.url, 'http://a').pathname)));
    assert.deepEqual(
      described.filter((operation) => !hit.has(operation)),
      [],
      'every described operation is exercised',
    );
    assert.ok(contract.length > 50, `${contract.length} exchanges checked`);
  });
});
