/**
 * What the tests of the operator functions share: a database, a recorder standing in for every task
 * target, the local Cloud Tasks endpoint with the queues asked for, and the settings adminApi and
 * recoverPayments both read (local mode).
 */
import { Wallet } from 'ethers';
import { type CloudTasksEmulator, startCloudTasksEmulator } from '../../local/cloudTasks/index.js';
import { startTaskTarget, type TaskTarget } from './cloudTasks.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const TEST_PROJECT = 'hostpay-test';
export const TEST_LOCATION = 'us-central1';

export interface RecoveryFixture {
  db: TestDatabase;
  emulator: CloudTasksEmulator;
  /** Receives every task, under the path of the function it names (`/retryPayment`, `/recordFailure`, …). */
  targets: TaskTarget;
  /** The settings of recoverPayments. */
  env: Record<string, string>;
  /** adminApi's: those, and a chain it never reaches in these tests. */
  adminEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startRecoveryFixture(params: {
  signingKey: string;
  queues?: readonly string[];
}): Promise<RecoveryFixture> {
  const db = await createTestDatabase();
  const targets = await startTaskTarget();
  const emulator = await startCloudTasksEmulator({
    queues: (params.queues ?? ['retry']).map((queue) => ({
      name: `projects/${TEST_PROJECT}/locations/${TEST_LOCATION}/queues/${queue}`,
    })),
    minDispatchDeadlineSeconds: 1,
  });
  const env = {
    HOSTPAY_ENV: 'local',
    DATABASE_URL: db.url,
    TOKEN_SIGNING_KEY: params.signingKey,
    TASKS_PROJECT: TEST_PROJECT,
    TASKS_LOCATION: TEST_LOCATION,
    TASKS_EMULATOR_HOST: emulator.endpoint,
    RETRY_QUEUE: 'retry',
    RETRY_PAYMENT_URL: `${targets.url}/retryPayment`,
    FAILURE_QUEUE: 'failure',
    RECORD_FAILURE_URL: `${targets.url}/recordFailure`,
  };
  const adminEnv = {
    ...env,
    RPC_URL: 'http://127.0.0.1:9',
    CHAIN_ID: '31337',
    WALLET_PRIVATE_KEY: Wallet.createRandom().privateKey,
    NOTICE_QUEUE: 'notices',
    UPSTREAM_COMPLETED_URL: `${targets.url}/payment-completed`,
  };
  return {
    db,
    emulator,
    targets,
    env,
    adminEnv,
    stop: async () => {
      await emulator.stop();
      await targets.stop();
      await db.drop();
    },
  };
}
