import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CloudTasksClient } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import { type CloudTasksEmulator, startCloudTasksEmulator } from '../../../local/cloudTasks/index.js';
import { HostpayError } from '../../../shared/errors.js';
import { createTasksClient } from '../../../shared/tasks/createTasksClient.js';
import { type EnqueueTaskParams, enqueueTask } from '../../../shared/tasks/enqueueTask.js';
import { taskName } from '../../../shared/tasks/taskName.js';
import {
  jwtPayload,
  runModuleScript,
  startTaskTarget,
  type TaskTarget,
  unusedPort,
} from '../../support/cloudTasks.js';

const PROJECT = 'hostpay-test';
const LOCATION = 'us-central1';
const QUEUE = `projects/${PROJECT}/locations/${LOCATION}/queues/retry`;

describe('enqueueTask against the local Cloud Tasks endpoint', () => {
  let emulator: CloudTasksEmulator;
  let target: TaskTarget;
  let client: CloudTasksClient;

  beforeEach(async () => {
    target = await startTaskTarget();
    emulator = await startCloudTasksEmulator({ queues: [{ name: QUEUE }], minDispatchDeadlineSeconds: 1 });
    client = createTasksClient({ emulatorHost: emulator.endpoint });
  });

  afterEach(async () => {
    await client.close();
    await emulator.stop();
    await target.stop();
  });

  function params(overrides: Partial<EnqueueTaskParams> = {}): EnqueueTaskParams {
    return {
      project: PROJECT,
      location: LOCATION,
      queue: 'retry',
      url: `${target.url}/retryPayment`,
      body: { token: 'abc-_123' },
      name: taskName('retry', 'pay-1', 2),
      ...overrides,
    };
  }

  it('creates a JSON POST task that arrives after its delay with its dispatch deadline', async () => {
    const enqueuedAt = Date.now();
    const result = await enqueueTask(client, params({ delaySeconds: 0.5, dispatchDeadlineSeconds: 120 }));
    assert.deepEqual(result, { created: true, taskName: `${QUEUE}/tasks/${taskName('retry', 'pay-1', 2)}` });

    const [task] = await client.getTask({ name: result.taskName });
    assert.equal(Number(task.dispatchDeadline?.seconds), 120);
    await emulator.waitForIdle({ timeoutMs: 5000 });

    const request = target.requests[0];
    assert.ok(request !== undefined);
    assert.ok(
      request.receivedAtMs - enqueuedAt >= 500,
      `arrived after ${request.receivedAtMs - enqueuedAt} ms`,
    );
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/retryPayment');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), { token: 'abc-_123' });
    assert.equal(request.headers.authorization, undefined, 'no OIDC token unless a service account is given');
  });

  it('asks for an OIDC token for the target when given a service account', async () => {
    const email = 'tasks-invoker@hostpay-test.iam.gserviceaccount.com';
    await enqueueTask(client, params({ oidcServiceAccountEmail: email }));
    await enqueueTask(
      client,
      params({ name: taskName('retry', 'pay-1', 3), oidcServiceAccountEmail: email, audience: 'aud-x' }),
    );
    await emulator.waitForIdle({ timeoutMs: 5000 });
    const audiences = target.requests.map((request) => jwtPayload(request.headers.authorization).aud).sort();
    assert.deepEqual(audiences, ['aud-x', `${target.url}/retryPayment`]);
    assert.equal(jwtPayload(target.requests[0]?.headers.authorization).email, email);
  });

  it('is a no-op the second time for the same purpose, unique id and attempt, before and after delivery', async () => {
    assert.equal((await enqueueTask(client, params({ delaySeconds: 0.2 }))).created, true);
    assert.equal((await enqueueTask(client, params({ delaySeconds: 0.2 }))).created, false);
    await emulator.waitForIdle({ timeoutMs: 5000 });
    assert.equal((await enqueueTask(client, params())).created, false);
    await emulator.waitForIdle({ timeoutMs: 5000 });
    assert.equal(target.requests.length, 1);
  });

  it('creates one task when two deliveries enqueue the same name at the same moment', async () => {
    const results = await Promise.all([enqueueTask(client, params()), enqueueTask(client, params())]);
    assert.deepEqual(results.map((result) => result.created).sort(), [false, true]);
    await emulator.waitForIdle({ timeoutMs: 5000 });
    assert.equal(target.requests.length, 1);
  });

  it('turns a refusal other than ALREADY_EXISTS into QUEUE_UNAVAILABLE with the gRPC error as cause', async () => {
    const error = await enqueueTask(client, params({ queue: 'missing' })).then(
      () => assert.fail('expected a failure'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof HostpayError);
    assert.equal(error.code, 'QUEUE_UNAVAILABLE');
    assert.equal(error.retryable, true);
    assert.equal((error.cause as { code?: number }).code, status.NOT_FOUND);
    assert.equal(error.details.grpcCode, status.NOT_FOUND);
  });

  it('reaches the endpoint without looking for credentials or probing the metadata server', async function () {
    this.timeout(30_000);
    const modules = {
      emulator: fileURLToPath(new URL('../../../local/cloudTasks/index.ts', import.meta.url)),
      client: fileURLToPath(new URL('../../../shared/tasks/createTasksClient.ts', import.meta.url)),
      enqueue: fileURLToPath(new URL('../../../shared/tasks/enqueueTask.ts', import.meta.url)),
      support: fileURLToPath(new URL('../../support/cloudTasks.ts', import.meta.url)),
    };
    // A fresh process: no credentials anywhere and METADATA_SERVER_DETECTION unset, so any credential
    // lookup would end at the metadata server, which here is a local recorder.
    const script = `
      const { startCloudTasksEmulator } = await import(${JSON.stringify(modules.emulator)});
      const { createTasksClient } = await import(${JSON.stringify(modules.client)});
      const { enqueueTask } = await import(${JSON.stringify(modules.enqueue)});
      const { startTaskTarget } = await import(${JSON.stringify(modules.support)});
      const metadata = await startTaskTarget(() => ({ status: 404 }));
      process.env.GCE_METADATA_HOST = metadata.url.replace('http://', '');
      const target = await startTaskTarget();
      const emulator = await startCloudTasksEmulator({ queues: [{ name: 'projects/p/locations/l/queues/q' }] });
      const client = createTasksClient({ emulatorHost: emulator.endpoint });
      const result = await enqueueTask(client, { project: 'p', location: 'l', queue: 'q', url: target.url, body: {}, name: 'adc-check' });
      await emulator.waitForIdle();
      console.log(JSON.stringify({ created: result.created, delivered: target.requests.length, metadataRequests: metadata.requests.length }));
      await client.close();
      await emulator.stop();
      await target.stop();
      await metadata.stop();
    `;
    const emptyConfig = await mkdtemp(join(tmpdir(), 'hostpay-no-adc-'));
    const env: NodeJS.ProcessEnv = { ...process.env, CLOUDSDK_CONFIG: emptyConfig, HOME: emptyConfig };
    for (const name of [
      'GOOGLE_APPLICATION_CREDENTIALS',
      'METADATA_SERVER_DETECTION',
      'GOOGLE_CLOUD_PROJECT',
      'GCLOUD_PROJECT',
    ]) {
      delete env[name];
    }
    try {
      const { exitCode, stdout, stderr } = await runModuleScript(script, { env });
      assert.equal(exitCode, 0, stderr);
      assert.deepEqual(JSON.parse(stdout.trim()), { created: true, delivered: 1, metadataRequests: 0 });
    } finally {
      await rm(emptyConfig, { recursive: true, force: true });
    }
  });
});

describe('enqueueTask with the queue unreachable', () => {
  it('fails fast with QUEUE_UNAVAILABLE', async () => {
    const client = createTasksClient({ emulatorHost: `127.0.0.1:${await unusedPort()}` });
    const started = Date.now();
    try {
      const error = await enqueueTask(client, {
        project: PROJECT,
        location: LOCATION,
        queue: 'retry',
        url: 'http://127.0.0.1:9/x',
        body: {},
        name: taskName('retry', 'pay-2', 1),
        timeoutMs: 5000,
      }).then(
        () => assert.fail('expected a failure'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof HostpayError);
      assert.equal(error.code, 'QUEUE_UNAVAILABLE');
      assert.equal((error.cause as { code?: number }).code, status.UNAVAILABLE);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      await client.close();
    }
  });

  it('rejects a malformed TASKS_EMULATOR_HOST as CONFIG_INVALID', () => {
    for (const host of ['localhost', '127.0.0.1:', '127.0.0.1:99999', 'http://127.0.0.1:8123']) {
      assert.throws(() => createTasksClient({ emulatorHost: host }), { code: 'CONFIG_INVALID' });
    }
  });
});
