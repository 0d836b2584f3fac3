import assert from 'node:assert/strict';
import { createRecoverPayments } from '../../../functions/recoverPayments.js';
import type { CloudTasksEmulator } from '../../../local/cloudTasks/index.js';
import {
  claimPayout,
  type FailedTransactionParams,
  getFailedTransaction,
  getPayout,
  incrementAttempt,
  insertFailedTransaction,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutSubmitted,
  updateFailedTransactionStatus,
} from '../../../shared/db/index.js';
import { decodePaymentRequest, type PaymentRequest } from '../../../shared/token/index.js';
import type { TaskTarget } from '../../support/cloudTasks.js';
import { failureParams, payoutRequest, randomHash } from '../../support/dbFixtures.js';
import { startFunction } from '../../support/hostpay.js';
import type { TestDatabase } from '../../support/postgres.js';
import { type RecoveryFixture, startRecoveryFixture } from '../../support/recoveryFixture.js';

const SIGNING_KEY = 'recover-payments-test-signing-key-0123';
const COOLDOWN = 600;
const STUCK_AFTER = 600;
const MAX_AUTOMATED = 2;

describe('recoverPayments through the Functions Framework', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let emulator: CloudTasksEmulator;
  let retryTarget: TaskTarget;
  let fixture: RecoveryFixture;
  let baseUrl: string;
  let close: () => Promise<void>;
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    fixture = await startRecoveryFixture({ signingKey: SIGNING_KEY, queues: ['retry', 'failure'] });
    ({ db, emulator, targets: retryTarget } = fixture);
    const handler = createRecoverPayments({
      env: {
        ...fixture.env,
        RECOVERY_COOLDOWN_SECONDS: String(COOLDOWN),
        RECOVERY_MAX_AUTOMATED_RETRIES: String(MAX_AUTOMATED),
        RECOVERY_BATCH_SIZE: '20',
        STUCK_AFTER_SECONDS: String(STUCK_AFTER),
      },
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    const served = await startFunction('recoverPaymentsTest', handler);
    baseUrl = served.url;
    close = served.close;
  });

  after(async () => {
    await close?.();
    await fixture?.stop();
  });

  async function run(): Promise<Record<string, unknown>> {
    const response = await fetch(`${baseUrl}/`, { method: 'POST' });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(body));
    await emulator.waitForIdle({ timeoutMs: 10_000 });
    return body;
  }

  function delivered(uniqueId: string): PaymentRequest[] {
    return retryTarget.requests
      .map((r) =>
        decodePaymentRequest((JSON.parse(r.body.toString()) as { token: string }).token, {
          keys: { current: SIGNING_KEY },
          freshness: null,
        }),
      )
      .filter((t) => t.unique_id === uniqueId);
  }

  async function ageFailure(uniqueId: string, seconds: number) {
    await db.sql`UPDATE failed_transactions
      SET created_at = clock_timestamp() - make_interval(secs => ${seconds}) WHERE unique_id = ${uniqueId}`;
  }

  async function seedFailedPayout(overrides: Partial<FailedTransactionParams>) {
    const request = payoutRequest();
    await claimPayout(db.sql, { ...request, leaseOwner: 'seed', leaseSeconds: 60 });
    await markPayoutFailed(db.sql, {
      uniqueId: request.uniqueId,
      errorCode: 'RATE_LIMIT_EXCEEDED',
      errorMessage: '429',
    });
    const { row } = await insertFailedTransaction(
      db.sql,
      failureParams({ uniqueId: request.uniqueId, fromAmount: request.amountDecimal, ...overrides }),
    );
    return row;
  }

  it('retries a RATE_LIMIT_EXCEEDED failure after the cooldown and not before, as a new cycle', async () => {
    const failure = await seedFailedPayout({ errorCode: 'RATE_LIMIT_EXCEEDED', status: 'failed_retryable' });
    await ageFailure(failure.uniqueId, COOLDOWN - 100);
    const early = await run();
    assert.ok(!(early.retried as string[]).includes(failure.uniqueId));
    assert.equal(delivered(failure.uniqueId).length, 0);
    assert.equal(
      (await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId }))?.status,
      'failed_retryable',
    );

    await ageFailure(failure.uniqueId, COOLDOWN + 1);
    const startedAt = Math.floor(Date.now() / 1000);
    const due = await run();
    assert.ok((due.retried as string[]).includes(failure.uniqueId));
    const tokens = delivered(failure.uniqueId);
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]?.attempt_count, 1);
    assert.ok((tokens[0]?.first_attempt_at ?? 0) >= startedAt);
    const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
    assert.equal(after?.status, 'retry_scheduled');
    assert.equal(after?.retryCount, 1);
    assert.equal(after?.recoveredBy, 'recoverPayments');
    assert.equal((await getPayout(db.sql, { uniqueId: failure.uniqueId }))?.status, 'received');

    await run();
    assert.equal(delivered(failure.uniqueId).length, 1, 'a scheduled retry is not scheduled again');
    assert.ok(logs.some((l) => l.event_type === 'recovery_run'));
  });

  it('stops after the automated retry cap and never retries a permanent code', async () => {
    const capped = await seedFailedPayout({ errorCode: 'NETWORK_TIMEOUT', status: 'failed_retryable' });
    await db.sql`UPDATE failed_transactions SET retry_count = ${MAX_AUTOMATED} WHERE unique_id = ${capped.uniqueId}`;
    await ageFailure(capped.uniqueId, COOLDOWN + 1);
    const permanent = await seedFailedPayout({ errorCode: 'INSUFFICIENT_FUNDS', status: 'failed_retryable' });
    await ageFailure(permanent.uniqueId, COOLDOWN + 1);
    const summary = await run();
    assert.equal(delivered(capped.uniqueId).length, 0);
    assert.equal(delivered(permanent.uniqueId).length, 0);
    assert.deepEqual(
      (summary.skipped as { unique_id: string; reason: string }[]).find(
        (s) => s.unique_id === permanent.uniqueId,
      ),
      { unique_id: permanent.uniqueId, reason: 'INSUFFICIENT_FUNDS is not transient' },
    );
    assert.equal(
      (await getFailedTransaction(db.sql, { uniqueId: capped.uniqueId }))?.status,
      'failed_retryable',
    );
  });

  it('a retried failure becomes recovered in the same transaction that confirms its payout', async () => {
    const failure = await seedFailedPayout({ errorCode: 'RATE_LIMIT_EXCEEDED', status: 'failed_retryable' });
    await updateFailedTransactionStatus(db.sql, {
      uniqueId: failure.uniqueId,
      to: 'retry_scheduled',
      recoveredBy: 'ops@example.com',
    });
    await db.sql`UPDATE payouts SET status = 'received' WHERE unique_id = ${failure.uniqueId}`;
    const hash = randomHash();
    await markPayoutConfirmed(db.sql, {
      uniqueId: failure.uniqueId,
      txHash: hash,
      blockNumber: 12,
      blockHash: randomHash(),
      gasUsed: 21_000n,
    });
    const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
    assert.equal(after?.status, 'recovered', 'no scheduler run needed');
    assert.equal(after?.recoveryTxHash, hash);
    assert.equal(after?.recoveredBy, 'ops@example.com');
    assert.ok(after?.recoveredAt instanceof Date);
    const summary = await run();
    assert.deepEqual(
      (summary.recovered as { unique_id: string }[]).filter((r) => r.unique_id === failure.uniqueId),
      [],
      'nothing left for the backstop',
    );
  });

  it('backstop: a retried failure whose payout is confirmed (by an older version) is reconciled by the run', async () => {
    const failure = await seedFailedPayout({ errorCode: 'RATE_LIMIT_EXCEEDED', status: 'failed_retryable' });
    await updateFailedTransactionStatus(db.sql, {
      uniqueId: failure.uniqueId,
      to: 'retry_scheduled',
      recoveredBy: 'ops@example.com',
    });
    const hash = randomHash();
    await db.sql`
      UPDATE payouts SET status = 'confirmed', confirmed_tx_hash = ${hash}, confirmed_block_number = 12,
        confirmed_at = now()
      WHERE unique_id = ${failure.uniqueId}`;
    const summary = await run();
    assert.deepEqual(
      (summary.recovered as { unique_id: string }[]).filter((r) => r.unique_id === failure.uniqueId),
      [{ unique_id: failure.uniqueId, tx_hash: hash }],
    );
    const after = await getFailedTransaction(db.sql, { uniqueId: failure.uniqueId });
    assert.deepEqual(
      [after?.status, after?.recoveryTxHash, after?.recoveredBy],
      ['recovered', hash, 'ops@example.com'],
    );
  });

  describe('sweep', () => {
    async function submittedPayout() {
      const request = payoutRequest();
      await claimPayout(db.sql, { ...request, leaseOwner: 'crashed', leaseSeconds: 60 });
      await incrementAttempt(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'crashed' });
      await markPayoutSubmitted(db.sql, { uniqueId: request.uniqueId, leaseOwner: 'crashed' });
      return request.uniqueId;
    }

    it('re-enqueues a submitted payout left by a crash once, at its current attempt and cycle', async () => {
      const uniqueId = await submittedPayout();
      await db.sql`UPDATE payouts SET lease_expires_at = clock_timestamp() - interval '1 second',
        updated_at = clock_timestamp() - make_interval(secs => ${STUCK_AFTER + 1}) WHERE unique_id = ${uniqueId}`;
      const payout = await getPayout(db.sql, { uniqueId });
      await run();
      await run();
      const tokens = delivered(uniqueId);
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0]?.attempt_count, 1);
      assert.equal(tokens[0]?.first_attempt_at, Math.floor((payout?.firstAttemptAt?.getTime() ?? 0) / 1000));
      assert.equal(tokens[0]?.payin_address, payout?.recipient);
      assert.equal(tokens[0]?.from_amount, Number(payout?.amountDecimal));
      assert.ok(logs.some((l) => l.event_type === 'payout_requeued' && l.unique_id === uniqueId));
    });

    it('leaves a payout under a live lease or touched recently alone', async () => {
      const leased = await submittedPayout();
      await db.sql`UPDATE payouts SET updated_at = clock_timestamp() - make_interval(secs => ${STUCK_AFTER + 1})
        WHERE unique_id = ${leased}`;
      const recent = await submittedPayout();
      await db.sql`UPDATE payouts SET lease_expires_at = clock_timestamp() - interval '1 second'
        WHERE unique_id = ${recent}`;
      await run();
      assert.equal(delivered(leased).length, 0);
      assert.equal(delivered(recent).length, 0);
    });
  });

  it('refuses anything but POST', async () => {
    const response = await fetch(`${baseUrl}/`, { method: 'GET' });
    assert.equal(response.status, 405);
  });
});
