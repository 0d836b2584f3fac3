import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import {
  type CloudTasksEmulator,
  type DeliveryAttempt,
  type EmulatorLogEntry,
  startCloudTasksEmulator,
} from '../../../local/cloudTasks/index.js';
import { createTasksClient } from '../../../shared/tasks/createTasksClient.js';
import { jwtPayload, runModuleScript, startTaskTarget, type TaskTarget } from '../../support/cloudTasks.js';

const LOCATION = 'projects/hostpay-test/locations/us-central1';
const QUEUE = `${LOCATION}/queues/payments`;

async function grpcCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: number }).code;
  }
  return undefined;
}

function header(target: TaskTarget, index: number, name: string): string | undefined {
  const value = target.requests[index]?.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('local Cloud Tasks endpoint', () => {
  let emulator: CloudTasksEmulator;
  let target: TaskTarget;
  let client: CloudTasksClient;
  let logged: EmulatorLogEntry[];
  let observed: DeliveryAttempt[];

  beforeEach(async () => {
    logged = [];
    observed = [];
    target = await startTaskTarget();
    emulator = await startCloudTasksEmulator({
      queues: [
        {
          name: QUEUE,
          retry: { maxAttempts: 3, minBackoffSeconds: 0.1, maxBackoffSeconds: 1, maxDoublings: 4 },
        },
      ],
      minDispatchDeadlineSeconds: 0.1,
      log: (entry) => logged.push(entry),
      onDelivery: (attempt) => observed.push(attempt),
    });
    client = createTasksClient({ emulatorHost: emulator.endpoint });
  });

  afterEach(async () => {
    await client.close();
    await emulator.stop();
    await target.stop();
  });

  function httpTask(taskId: string | null, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ...(taskId === null ? {} : { name: `${QUEUE}/tasks/${taskId}` }),
      httpRequest: { url: `${target.url}/run`, httpMethod: 'POST', body: Buffer.from('{"n":1}') },
      ...overrides,
    };
  }

  it('serves CreateTask, GetTask, ListTasks and DeleteTask to the real client', async () => {
    const inAnHour = { seconds: Math.floor(Date.now() / 1000) + 3600 };
    const [created] = await client.createTask({
      parent: QUEUE,
      task: httpTask('t-crud', { scheduleTime: inAnHour, dispatchDeadline: { seconds: 30 } }),
    });
    assert.equal(created.name, `${QUEUE}/tasks/t-crud`);
    assert.equal(created.httpRequest?.body?.length ?? 0, 0, 'the BASIC view leaves the body out');

    const [full] = await client.getTask({ name: `${QUEUE}/tasks/t-crud`, responseView: 'FULL' });
    assert.equal(Buffer.from(full.httpRequest?.body ?? '').toString(), '{"n":1}');
    assert.equal(full.httpRequest?.url, `${target.url}/run`);
    assert.equal(Number(full.scheduleTime?.seconds), inAnHour.seconds);
    assert.equal(Number(full.dispatchDeadline?.seconds), 30);
    assert.equal(full.dispatchCount, 0);

    const [listed] = await client.listTasks({ parent: QUEUE });
    assert.deepEqual(
      listed.map((task) => task.name),
      [`${QUEUE}/tasks/t-crud`],
    );

    await client.deleteTask({ name: `${QUEUE}/tasks/t-crud` });
    assert.equal(await grpcCode(client.getTask({ name: `${QUEUE}/tasks/t-crud` })), status.NOT_FOUND);
    assert.deepEqual(await client.listTasks({ parent: QUEUE }).then(([tasks]) => tasks), []);
    assert.equal(target.requests.length, 0);
  });

  it('names a task created without a name and pages through ListTasks', async () => {
    const inAnHour = { seconds: Math.floor(Date.now() / 1000) + 3600 };
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [task] = await client.createTask({
        parent: QUEUE,
        task: httpTask(null, { scheduleTime: inAnHour }),
      });
      names.push(task.name ?? '');
    }
    for (const name of names) assert.match(name, new RegExp(`^${QUEUE}/tasks/\\d+$`));
    const listed: string[] = [];
    let pages = 0;
    type ListRequest = protos.google.cloud.tasks.v2.IListTasksRequest;
    let request: ListRequest | null = { parent: QUEUE, pageSize: 2 };
    while (request !== null) {
      const page: [protos.google.cloud.tasks.v2.ITask[], ListRequest | null, unknown] =
        await client.listTasks(request, {
          autoPaginate: false,
        });
      const [tasks, next] = page;
      listed.push(...tasks.map((task) => task.name ?? ''));
      pages += 1;
      request = next ?? null;
    }
    assert.equal(pages, 3);
    assert.deepEqual(listed.sort(), [...names].sort());
  });

  it('answers NOT_FOUND for a task on an unknown queue', async () => {
    const code = await grpcCode(
      client.createTask({ parent: `${LOCATION}/queues/missing`, task: httpTask(null) }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  it("dispatches at the schedule time with the task's method, headers and exact body plus Cloud Tasks' headers", async () => {
    const body = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x80, 0x0a]);
    const scheduleMs = Date.now() + 400;
    await client.createTask({
      parent: QUEUE,
      task: {
        name: `${QUEUE}/tasks/t-dispatch`,
        httpRequest: {
          url: `${target.url}/hook?x=1`,
          httpMethod: 'PUT',
          headers: { 'Content-Type': 'application/x-test', 'X-Trace': 'abc' },
          body,
        },
        scheduleTime: { seconds: Math.floor(scheduleMs / 1000), nanos: (scheduleMs % 1000) * 1e6 },
      },
    });
    await emulator.waitForIdle({ timeoutMs: 5000 });

    assert.equal(target.requests.length, 1);
    const request = target.requests[0];
    assert.ok(request !== undefined);
    assert.ok(request.receivedAtMs >= scheduleMs, 'not before the schedule time');
    assert.ok(request.receivedAtMs < scheduleMs + 300, 'soon after the schedule time');
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/hook?x=1');
    assert.deepEqual(request.body, body);
    assert.equal(header(target, 0, 'Content-Type'), 'application/x-test');
    assert.equal(header(target, 0, 'X-Trace'), 'abc');
    assert.equal(header(target, 0, 'User-Agent'), 'Google-Cloud-Tasks');
    assert.equal(header(target, 0, 'X-CloudTasks-TaskName'), 't-dispatch');
    assert.equal(header(target, 0, 'X-CloudTasks-QueueName'), 'payments');
    assert.equal(header(target, 0, 'X-CloudTasks-TaskRetryCount'), '0');
    assert.equal(header(target, 0, 'X-CloudTasks-TaskExecutionCount'), '0');
    assert.equal(header(target, 0, 'X-CloudTasks-TaskETA'), (scheduleMs / 1000).toFixed(6));
    assert.equal(header(target, 0, 'Authorization'), undefined);
    assert.equal(await grpcCode(client.getTask({ name: `${QUEUE}/tasks/t-dispatch` })), status.NOT_FOUND);
    assert.equal(emulator.deliveries()[0]?.outcome, 'succeeded');
  });

  it('attaches an OIDC token naming the service account and the audience', async () => {
    const oidcToken = {
      serviceAccountEmail: 'invoker@hostpay-test.iam.gserviceaccount.com',
      audience: 'https://fn.test',
    };
    await client.createTask({
      parent: QUEUE,
      task: httpTask('t-oidc', { httpRequest: { url: `${target.url}/run`, oidcToken } }),
    });
    await emulator.waitForIdle({ timeoutMs: 5000 });
    const payload = jwtPayload(header(target, 0, 'Authorization'));
    assert.equal(payload.email, oidcToken.serviceAccountEmail);
    assert.equal(payload.aud, 'https://fn.test');
  });

  it('redelivers on 500 with growing retry counts and backoff, then drops the task after maxAttempts', async () => {
    target.respondWith(() => ({ status: 500 }));
    await client.createTask({ parent: QUEUE, task: httpTask('t-500') });
    await emulator.waitForIdle({ timeoutMs: 5000 });
    await sleep(400);

    assert.equal(target.requests.length, 3, 'maxAttempts is 3');
    assert.deepEqual(
      [0, 1, 2].map((i) => header(target, i, 'X-CloudTasks-TaskRetryCount')),
      ['0', '1', '2'],
    );
    // 5xx answers are not executions, as Cloud Tasks documents.
    assert.deepEqual(
      [0, 1, 2].map((i) => header(target, i, 'X-CloudTasks-TaskExecutionCount')),
      ['0', '0', '0'],
    );
    assert.equal(header(target, 1, 'X-CloudTasks-TaskPreviousResponse'), '500');
    const times = target.requests.map((request) => request.receivedAtMs);
    assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 95, 'first retry after minBackoff (100 ms)');
    assert.ok((times[2] ?? 0) - (times[1] ?? 0) >= 195, 'second retry after a doubled backoff (200 ms)');
    assert.deepEqual(
      emulator.deliveries().map((attempt) => [attempt.status, attempt.outcome]),
      [
        [500, 'retrying'],
        [500, 'retrying'],
        [500, 'dropped'],
      ],
    );
    assert.equal(await grpcCode(client.getTask({ name: `${QUEUE}/tasks/t-500` })), status.NOT_FOUND);
    assert.deepEqual(observed, emulator.deliveries());
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.taskName, `${QUEUE}/tasks/t-500`);
    assert.equal(logged[0]?.lastStatus, 500);
  });

  it('counts a 4xx answer as an execution and deletes the task after a 2xx', async () => {
    target.respondWith((_request, index) => ({ status: index === 0 ? 409 : 204 }));
    await client.createTask({ parent: QUEUE, task: httpTask('t-409') });
    await emulator.waitForIdle({ timeoutMs: 5000 });

    assert.equal(target.requests.length, 2);
    assert.equal(header(target, 1, 'X-CloudTasks-TaskRetryCount'), '1');
    assert.equal(header(target, 1, 'X-CloudTasks-TaskExecutionCount'), '1');
    assert.deepEqual(
      emulator.deliveries().map((attempt) => attempt.outcome),
      ['retrying', 'succeeded'],
    );
  });

  it('aborts a delivery at its dispatch deadline and counts it as a failed attempt', async () => {
    target.respondWith(() => ({ status: 200, delayMs: 3000 }));
    await client.createTask({
      parent: QUEUE,
      task: httpTask('t-deadline', { dispatchDeadline: { seconds: 0, nanos: 300_000_000 } }),
    });
    await emulator.waitFor(() => emulator.deliveries().length >= 2, { timeoutMs: 5000 });

    const [first, second] = emulator.deliveries();
    assert.equal(first?.status, null);
    assert.match(first?.error ?? '', /deadline/);
    assert.ok(
      (first?.durationMs ?? 0) >= 295 && (first?.durationMs ?? 0) < 1000,
      `took ${first?.durationMs} ms`,
    );
    assert.equal(first?.outcome, 'retrying');
    assert.equal(second?.retryCount, 1);
    const [task] = await client.getTask({ name: `${QUEUE}/tasks/t-deadline` });
    assert.equal(task.lastAttempt?.responseStatus?.code, status.DEADLINE_EXCEEDED);
  });

  it('refuses a duplicate task name with ALREADY_EXISTS, also after the task completed or was deleted', async () => {
    await client.createTask({ parent: QUEUE, task: httpTask('t-dup') });
    assert.equal(
      await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('t-dup') })),
      status.ALREADY_EXISTS,
    );
    await emulator.waitForIdle({ timeoutMs: 5000 });
    assert.equal(target.requests.length, 1);
    assert.equal(
      await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('t-dup') })),
      status.ALREADY_EXISTS,
    );

    const later = { seconds: Math.floor(Date.now() / 1000) + 3600 };
    await client.createTask({ parent: QUEUE, task: httpTask('t-deleted', { scheduleTime: later }) });
    await client.deleteTask({ name: `${QUEUE}/tasks/t-deleted` });
    const again = client.createTask({ parent: QUEUE, task: httpTask('t-deleted', { scheduleTime: later }) });
    assert.equal(await grpcCode(again), status.ALREADY_EXISTS);
    assert.equal(target.requests.length, 1);
  });

  it('holds the tasks of a paused queue until it is resumed', async () => {
    const [paused] = await client.pauseQueue({ name: QUEUE });
    assert.equal(paused.state, 'PAUSED');
    await client.createTask({ parent: QUEUE, task: httpTask('t-paused') });
    await sleep(300);
    assert.equal(target.requests.length, 0);
    await emulator.waitForIdle({ timeoutMs: 100 });

    await client.resumeQueue({ name: QUEUE });
    await emulator.waitFor(() => target.requests.length === 1, { timeoutMs: 5000 });
    await emulator.waitForIdle({ timeoutMs: 5000 });
  });

  it('dispatches no more than maxConcurrentDispatches at a time', async () => {
    const limited = `${LOCATION}/queues/limited`;
    emulator.createQueue({ name: limited, maxConcurrentDispatches: 1 });
    target.respondWith(() => ({ status: 200, delayMs: 100 }));
    for (const id of ['a', 'b', 'c']) {
      await client.createTask({
        parent: limited,
        task: { ...httpTask(null), name: `${limited}/tasks/${id}` },
      });
    }
    await emulator.waitForIdle({ timeoutMs: 5000 });
    assert.equal(target.requests.length, 3);
    assert.equal(target.maxConcurrent(), 1);
  });

  it('RunTask dispatches a future task at once, and drain() runs the rest without waiting', async () => {
    const inAnHour = { seconds: Math.floor(Date.now() / 1000) + 3600 };
    await client.createTask({ parent: QUEUE, task: httpTask('t-run', { scheduleTime: inAnHour }) });
    await client.createTask({ parent: QUEUE, task: httpTask('t-drain', { scheduleTime: inAnHour }) });
    await client.runTask({ name: `${QUEUE}/tasks/t-run` });
    await emulator.waitFor(() => emulator.deliveries().length === 1, { timeoutMs: 5000 });
    assert.equal(header(target, 0, 'X-CloudTasks-TaskName'), 't-run');
    assert.deepEqual(
      emulator.tasks().map((task) => task.name),
      [`${QUEUE}/tasks/t-drain`],
    );

    await emulator.drain({ timeoutMs: 5000 });
    assert.equal(header(target, 1, 'X-CloudTasks-TaskName'), 't-drain');
    assert.deepEqual(emulator.tasks(), []);
  });

  it('creates, reads and lists queues over gRPC with their retry settings', async () => {
    const name = `${LOCATION}/queues/created`;
    await client.createQueue({
      parent: LOCATION,
      queue: {
        name,
        retryConfig: {
          maxAttempts: 5,
          minBackoff: { seconds: 2 },
          maxBackoff: { seconds: 60 },
          maxDoublings: 3,
        },
        rateLimits: { maxConcurrentDispatches: 7 },
      },
    });
    const [queue] = await client.getQueue({ name });
    assert.equal(queue.state, 'RUNNING');
    assert.equal(queue.retryConfig?.maxAttempts, 5);
    assert.equal(Number(queue.retryConfig?.minBackoff?.seconds), 2);
    assert.equal(Number(queue.retryConfig?.maxBackoff?.seconds), 60);
    assert.equal(queue.retryConfig?.maxDoublings, 3);
    assert.equal(queue.rateLimits?.maxConcurrentDispatches, 7);
    assert.equal(
      await grpcCode(client.createQueue({ parent: LOCATION, queue: { name } })),
      status.ALREADY_EXISTS,
    );

    const [queues] = await client.listQueues({ parent: LOCATION });
    assert.deepEqual(queues.map((q) => q.name).sort(), [name, QUEUE]);
  });
});

describe('local Cloud Tasks endpoint shutdown', () => {
  it('stop() releases everything: a process that used the endpoint exits by itself', async function () {
    this.timeout(30_000);
    const modules = {
      emulator: fileURLToPath(new URL('../../../local/cloudTasks/index.ts', import.meta.url)),
      client: fileURLToPath(new URL('../../../shared/tasks/createTasksClient.ts', import.meta.url)),
      support: fileURLToPath(new URL('../../support/cloudTasks.ts', import.meta.url)),
    };
    // A slow target keeps one delivery running when stop() is called.
    const script = `
      const { startCloudTasksEmulator } = await import(${JSON.stringify(modules.emulator)});
      const { createTasksClient } = await import(${JSON.stringify(modules.client)});
      const { startTaskTarget } = await import(${JSON.stringify(modules.support)});
      const queue = 'projects/p/locations/l/queues/q';
      const target = await startTaskTarget(() => ({ status: 200, delayMs: 60000 }));
      const emulator = await startCloudTasksEmulator({ queues: [{ name: queue }] });
      const client = createTasksClient({ emulatorHost: emulator.endpoint });
      await client.createTask({ parent: queue, task: { httpRequest: { url: target.url } } });
      const later = { seconds: Math.floor(Date.now() / 1000) + 600 };
      await client.createTask({ parent: queue, task: { httpRequest: { url: target.url }, scheduleTime: later } });
      await emulator.waitFor(() => target.requests.length === 1);
      await client.close();
      await emulator.stop();
      await target.stop();
      console.log('stopped');
    `;
    const started = Date.now();
    const { exitCode, stdout, stderr } = await runModuleScript(script, { timeoutMs: 20_000 });
    assert.equal(exitCode, 0, `the child did not exit by itself within 20 s: ${stderr}`);
    assert.match(stdout, /stopped/);
    assert.ok(Date.now() - started < 20_000);
  });
});
