/**
 * A local Cloud Tasks endpoint: the real v2 gRPC API on 127.0.0.1, HTTP dispatch at schedule time with
 * Cloud Tasks' headers, retries per queue, and name deduplication (docs/architecture.md, "Platform facts").
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { cloudTasksHandlers } from './grpcHandlers.js';
import { DEFAULT_LIMITS, LocalTaskQueues } from './localTaskQueues.js';
import { type QueueSpec, settingsFromSpec } from './queueSettings.js';
import { loadCloudTasksService } from './serviceDefinition.js';
import { TaskDispatcher } from './taskDispatcher.js';
import type { DeliveryAttempt, EmulatorLogEntry } from './taskRecords.js';

export interface CloudTasksEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  queues?: QueueSpec[];
  /** How long a finished or deleted task's name stays refused; default 3600. */
  nameReuseSeconds?: number;
  /** Lowest dispatch deadline accepted; Cloud Tasks' is 15, tests may go lower. */
  minDispatchDeadlineSeconds?: number;
  /** Where dropped-task lines go; default one JSON line on stderr. */
  log?: (entry: EmulatorLogEntry) => void;
  /** Called after every finished delivery attempt (the local stack prints them). */
  onDelivery?: (attempt: DeliveryAttempt) => void;
}

/** What a test or the local stack sees of a waiting task. */
export interface TaskSnapshot {
  name: string;
  queueName: string;
  scheduleTimeMs: number;
  dispatchCount: number;
  inFlight: boolean;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface CloudTasksEmulator {
  /** `127.0.0.1:<port>`, the value for TASKS_EMULATOR_HOST. */
  endpoint: string;
  host: string;
  port: number;
  /** Finished delivery attempts, oldest first (the latest 10 000). */
  deliveries(): readonly DeliveryAttempt[];
  /** Tasks not yet finished, in one queue or all. */
  tasks(queueName?: string): TaskSnapshot[];
  createQueue(spec: QueueSpec): void;
  pauseQueue(name: string): void;
  resumeQueue(name: string): void;
  /** Resolves once `condition` holds, re-checked after every change; rejects after the timeout. */
  waitFor(condition: () => boolean, options?: WaitOptions & { description?: string }): Promise<void>;
  /** Resolves when nothing runs and no task waits in a running queue. */
  waitForIdle(options?: WaitOptions): Promise<void>;
  /** Dispatches everything now, skipping schedule times and backoff, until idle. */
  drain(options?: WaitOptions): Promise<void>;
  /** Aborts running deliveries, clears timers and closes the server. */
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 30_000;
const SHUTDOWN_GRACE_MS = 2_000;

function writeLogLine(entry: EmulatorLogEntry): void {
  process.stderr.write(`${JSON.stringify({ component: 'cloud-tasks-emulator', ...entry })}\n`);
}

export async function startCloudTasksEmulator(
  options: CloudTasksEmulatorOptions = {},
): Promise<CloudTasksEmulator> {
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const store = new LocalTaskQueues(
    {
      ...DEFAULT_LIMITS,
      nameReuseMs: (options.nameReuseSeconds ?? DEFAULT_LIMITS.nameReuseMs / 1000) * 1000,
      minDispatchDeadlineMs:
        (options.minDispatchDeadlineSeconds ?? DEFAULT_LIMITS.minDispatchDeadlineMs / 1000) * 1000,
    },
    () => {
      dispatcher.pump();
      notify();
    },
  );
  const dispatcher = new TaskDispatcher(store, {
    log: options.log ?? writeLogLine,
    onDelivery: options.onDelivery ?? (() => {}),
    changed: notify,
  });
  const createQueue = (spec: QueueSpec): void => {
    store.createQueue(spec.name, settingsFromSpec(spec), spec.paused === true ? 'PAUSED' : 'RUNNING');
  };
  for (const spec of options.queues ?? []) createQueue(spec);

  const server = new Server();
  server.addService(loadCloudTasksService(), cloudTasksHandlers(store));
  const host = '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });

  const waitFor = (
    condition: () => boolean,
    wait: WaitOptions & { description?: string } = {},
  ): Promise<void> =>
    new Promise((resolve, reject) => {
      const timeoutMs = wait.timeoutMs ?? DEFAULT_WAIT_MS;
      const check = (): void => {
        if (dispatcher.isStopped) finish(new Error('the Cloud Tasks emulator was stopped'));
        else if (condition()) finish(null);
      };
      const timer = setTimeout(() => {
        const waiting =
          store.queues.size === 0 ? 0 : [...store.queues.values()].reduce((n, q) => n + q.tasks.size, 0);
        finish(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${wait.description ?? 'a condition'} (${waiting} tasks left)`,
          ),
        );
      }, timeoutMs);
      const finish = (error: Error | null): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error === null) resolve();
        else reject(error);
      };
      waiters.add(check);
      check();
    });

  const waitForIdle = (wait: WaitOptions = {}): Promise<void> =>
    waitFor(() => dispatcher.isIdle(), { ...wait, description: 'the queues to go idle' });

  return {
    endpoint: `${host}:${port}`,
    host,
    port,
    deliveries: () => dispatcher.attempts,
    tasks: (queueName) =>
      [...store.queues.values()]
        .filter((queue) => queueName === undefined || queue.name === queueName)
        .flatMap((queue) => [...queue.tasks.values()])
        .map((task) => ({
          name: task.name,
          queueName: task.queueName,
          scheduleTimeMs: task.scheduleTimeMs,
          dispatchCount: task.dispatchCount,
          inFlight: task.inFlight,
        })),
    createQueue,
    pauseQueue: (name) => void store.setQueueState(name, 'PAUSED'),
    resumeQueue: (name) => void store.setQueueState(name, 'RUNNING'),
    waitFor,
    waitForIdle,
    drain: async (wait = {}) => {
      dispatcher.setDraining(true);
      try {
        await waitForIdle(wait);
      } finally {
        dispatcher.setDraining(false);
      }
    },
    stop: async () => {
      await dispatcher.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
