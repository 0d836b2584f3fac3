import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { deliveryHeaders } from '../../../../local/cloudTasks/deliveryHeaders.js';
import { DEFAULT_LIMITS, LocalTaskQueues } from '../../../../local/cloudTasks/localTaskQueues.js';
import {
  applyQueueMessage,
  DEFAULT_SETTINGS,
  settingsFromSpec,
} from '../../../../local/cloudTasks/queueSettings.js';
import { taskFromMessage } from '../../../../local/cloudTasks/taskMessages.js';
import type { NewTask } from '../../../../local/cloudTasks/taskRecords.js';
import { jwtPayload } from '../../../support/cloudTasks.js';

const QUEUE = 'projects/p/locations/l/queues/q';

function newTask(taskId: string | null, overrides: Partial<NewTask> = {}): NewTask {
  return {
    taskId,
    http: {
      url: 'http://127.0.0.1:1/x',
      method: 'POST',
      headers: {},
      body: Buffer.from('{}'),
      authorization: {},
    },
    scheduleTimeMs: null,
    dispatchDeadlineMs: null,
    ...overrides,
  };
}

function apiCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: number }).code;
  }
  return undefined;
}

describe('local Cloud Tasks queues', () => {
  it('refuses a task name while the task exists, after it ended, and accepts it once the reuse window passed', async () => {
    const store = new LocalTaskQueues({ ...DEFAULT_LIMITS, nameReuseMs: 50 }, () => {});
    store.createQueue(QUEUE, DEFAULT_SETTINGS);
    const task = store.createTask(QUEUE, newTask('t1'));
    assert.equal(
      apiCode(() => store.createTask(QUEUE, newTask('t1'))),
      status.ALREADY_EXISTS,
    );
    store.deleteTask(task.name);
    assert.equal(
      apiCode(() => store.createTask(QUEUE, newTask('t1'))),
      status.ALREADY_EXISTS,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(store.createTask(QUEUE, newTask('t1')).name, `${QUEUE}/tasks/t1`);
  });

  it('generates a task id when none is given', () => {
    const store = new LocalTaskQueues(DEFAULT_LIMITS, () => {});
    store.createQueue(QUEUE, DEFAULT_SETTINGS);
    const a = store.createTask(QUEUE, newTask(null));
    const b = store.createTask(QUEUE, newTask(null));
    assert.match(a.taskId, /^\d+$/);
    assert.notEqual(a.name, b.name);
  });

  const rejected: [string, () => unknown, number][] = [
    ['a task on a missing queue', () => fresh().createTask(`${QUEUE}x`, newTask('t')), status.NOT_FOUND],
    [
      'a dispatch deadline under 15 s',
      () => fresh().createTask(QUEUE, newTask('t', { dispatchDeadlineMs: 14_999 })),
      status.INVALID_ARGUMENT,
    ],
    [
      'a dispatch deadline over 30 min',
      () => fresh().createTask(QUEUE, newTask('t', { dispatchDeadlineMs: 1_800_001 })),
      status.INVALID_ARGUMENT,
    ],
    [
      'a schedule time over 30 days ahead',
      () => fresh().createTask(QUEUE, newTask('t', { scheduleTimeMs: Date.now() + 31 * 86_400_000 })),
      status.INVALID_ARGUMENT,
    ],
    [
      'a task name under another queue',
      () =>
        taskFromMessage(QUEUE, {
          name: 'projects/p/locations/l/queues/other/tasks/t',
          httpRequest: { url: 'http://a/' },
        }),
      status.INVALID_ARGUMENT,
    ],
    [
      'a task id with a dot',
      () => taskFromMessage(QUEUE, { name: `${QUEUE}/tasks/a.b`, httpRequest: { url: 'http://a/' } }),
      status.INVALID_ARGUMENT,
    ],
    [
      'a non-http url',
      () => taskFromMessage(QUEUE, { httpRequest: { url: 'ftp://a/' } }),
      status.INVALID_ARGUMENT,
    ],
    [
      'a GET task with a body',
      () =>
        taskFromMessage(QUEUE, {
          httpRequest: { url: 'http://a/', httpMethod: 'GET', body: Buffer.from('x') },
        }),
      status.INVALID_ARGUMENT,
    ],
    [
      'an App Engine task',
      () => taskFromMessage(QUEUE, { messageType: 'appEngineHttpRequest' }),
      status.UNIMPLEMENTED,
    ],
    [
      'an invalid queue name',
      () => fresh().createQueue('projects/p/queues/q', DEFAULT_SETTINGS),
      status.INVALID_ARGUMENT,
    ],
  ];
  function fresh(): LocalTaskQueues {
    const store = new LocalTaskQueues(DEFAULT_LIMITS, () => {});
    store.createQueue(QUEUE, DEFAULT_SETTINGS);
    return store;
  }
  for (const [label, attempt, code] of rejected) {
    it(`rejects ${label} with gRPC status ${status[code]}`, () => {
      assert.equal(apiCode(attempt), code);
    });
  }

  it('reads retry settings from a spec in seconds and rejects out-of-range ones', () => {
    const settings = settingsFromSpec({
      name: QUEUE,
      retry: { maxAttempts: 3, minBackoffSeconds: 0.05, maxBackoffSeconds: 2 },
    });
    assert.deepEqual(settings.retry, {
      ...DEFAULT_SETTINGS.retry,
      maxAttempts: 3,
      minBackoffMs: 50,
      maxBackoffMs: 2000,
    });
    assert.throws(() => settingsFromSpec({ name: QUEUE, retry: { maxAttempts: -2 } }), /maxAttempts/);
    assert.throws(
      () => settingsFromSpec({ name: QUEUE, maxConcurrentDispatches: 0 }),
      /maxConcurrentDispatches/,
    );
  });

  it('applies only the fields named in an update mask', () => {
    const message = {
      retryConfig: { maxAttempts: 7, maxDoublings: 2 },
      rateLimits: { maxConcurrentDispatches: 3 },
    };
    const updated = applyQueueMessage(DEFAULT_SETTINGS, message, ['retry_config.max_attempts']);
    assert.equal(updated.retry.maxAttempts, 7);
    assert.equal(updated.retry.maxDoublings, DEFAULT_SETTINGS.retry.maxDoublings);
    assert.equal(updated.maxConcurrentDispatches, DEFAULT_SETTINGS.maxConcurrentDispatches);
  });
});

describe('local Cloud Tasks delivery headers', () => {
  const facts = {
    taskId: 't1',
    queueId: 'q',
    url: 'https://example.test/run',
    retryCount: 2,
    executionCount: 1,
    scheduleTimeMs: 1_700_000_000_250,
    previousResponse: 503,
    hasBody: true,
    authorization: {},
    nowMs: 1_700_000_001_000,
  };

  it('adds the Cloud Tasks headers and drops the ones a task may not set', () => {
    const headers = deliveryHeaders(
      { 'X-CloudTasks-TaskRetryCount': '99', Host: 'evil', 'X-Custom': 'kept' },
      facts,
    );
    assert.deepEqual(headers, {
      'X-Custom': 'kept',
      'Content-Type': 'application/octet-stream',
      'User-Agent': 'Google-Cloud-Tasks',
      'X-CloudTasks-QueueName': 'q',
      'X-CloudTasks-TaskName': 't1',
      'X-CloudTasks-TaskRetryCount': '2',
      'X-CloudTasks-TaskExecutionCount': '1',
      'X-CloudTasks-TaskETA': '1700000000.250000',
      'X-CloudTasks-TaskPreviousResponse': '503',
    });
  });

  it('attaches an unsigned OIDC token whose audience defaults to the target url', () => {
    const oidc = { serviceAccountEmail: 'invoker@p.iam.gserviceaccount.com', audience: '' };
    const headers = deliveryHeaders({}, { ...facts, authorization: { oidc } });
    const payload = jwtPayload(headers.Authorization);
    assert.equal(payload.aud, 'https://example.test/run');
    assert.equal(payload.email, 'invoker@p.iam.gserviceaccount.com');
    assert.equal(payload.iat, 1_700_000_001);
    assert.equal(
      JSON.parse(Buffer.from(headers.Authorization?.split('.')[0]?.slice(7) ?? '', 'base64url').toString())
        .alg,
      'none',
    );
  });
});
