/** Dispatches due tasks over HTTP, within each queue's rate limits, and retries them per its RetryConfig. */
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { coerceError } from '../../shared/errors.js';
import { deliveryHeaders } from './deliveryHeaders.js';
import type { LocalTaskQueues } from './localTaskQueues.js';
import { queueId } from './resourceNames.js';
import { retriesExhausted, retryDelayMs } from './retryPolicy.js';
import { type HttpOutcome, sendHttpTask } from './sendHttpTask.js';
import type {
  AttemptRecord,
  DeliveryAttempt,
  EmulatorLogEntry,
  QueueRecord,
  TaskRecord,
} from './taskRecords.js';
import { attemptStatus } from './tasksApiError.js';

/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A long-running local stack keeps only the latest attempts. */
const KEPT_ATTEMPTS = 10_000;

export interface DispatcherHooks {
  /** A dropped task, as Cloud Tasks would log it. */
  log: (entry: EmulatorLogEntry) => void;
  /** Every finished attempt. */
  onDelivery: (attempt: DeliveryAttempt) => void;
  /** Something changed that waiters may be waiting for. */
  changed: () => void;
}

export class TaskDispatcher {
  readonly attempts: DeliveryAttempt[] = [];
  private timer: NodeJS.Timeout | null = null;
  private draining = 0;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  // No keep-alive: an idle pooled socket would hold the process open after stop().
  private readonly agents = {
    http: new HttpAgent({ keepAlive: false }),
    https: new HttpsAgent({ keepAlive: false }),
  };

  constructor(
    private readonly store: LocalTaskQueues,
    private readonly hooks: DispatcherHooks,
  ) {
    // Every delivery in flight listens on the one stop signal; hundreds may run at once under load.
    setMaxListeners(0, this.abort.signal);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True when no delivery runs and no task waits in a running queue (or was forced by RunTask). */
  isIdle(): boolean {
    if (this.running.size > 0) return false;
    for (const queue of this.store.queues.values()) {
      for (const task of queue.tasks.values()) {
        if (queue.state === 'RUNNING' || task.forced) return false;
      }
    }
    return true;
  }

  /** While draining, every wait (schedule time, backoff, rate spacing) is skipped. */
  setDraining(on: boolean): void {
    this.draining += on ? 1 : -1;
    this.pump();
  }

  /** Starts every delivery that is due now and arms one timer for the next one. */
  pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const queue of this.store.queues.values()) {
      const waiting = [...queue.tasks.values()]
        .filter((task) => !task.inFlight)
        .sort((a, b) => Number(b.forced) - Number(a.forced) || a.scheduleTimeMs - b.scheduleTimeMs);
      for (const task of waiting) {
        if (task.forced) {
          this.dispatch(queue, task, now);
          continue;
        }
        if (queue.state !== 'RUNNING') break;
        const dueAt = this.draining > 0 ? now : task.scheduleTimeMs;
        if (dueAt > now) {
          wakeAt = Math.min(wakeAt, dueAt);
          break;
        }
        // A finishing delivery pumps again, so a full queue needs no timer.
        if (queue.inFlight >= queue.settings.maxConcurrentDispatches) break;
        if (queue.nextDispatchMs > now && this.draining === 0) {
          wakeAt = Math.min(wakeAt, queue.nextDispatchMs);
          break;
        }
        this.dispatch(queue, task, now);
      }
    }
    this.arm(wakeAt, now);
  }

  /** Aborts running deliveries, waits for them to settle and releases sockets and timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.hooks.changed();
  }

  private arm(wakeAt: number, now: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!Number.isFinite(wakeAt)) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.min(Math.max(0, wakeAt - now), MAX_TIMER_MS),
    );
  }

  private dispatch(queue: QueueRecord, task: TaskRecord, now: number): void {
    const wasForced = task.forced;
    task.forced = false;
    task.inFlight = true;
    queue.inFlight += 1;
    if (!wasForced) queue.nextDispatchMs = now + 1000 / queue.settings.maxDispatchesPerSecond;
    const retryCount = task.dispatchCount;
    task.dispatchCount += 1;
    const attempt: AttemptRecord = {
      scheduleTimeMs: task.scheduleTimeMs,
      dispatchTimeMs: now,
      responseTimeMs: null,
      status: null,
    };
    task.firstAttempt ??= { ...attempt };
    task.lastAttempt = attempt;
    const headers = deliveryHeaders(task.http.headers, {
      taskId: task.taskId,
      queueId: queueId(queue.name),
      url: task.http.url,
      retryCount,
      executionCount: task.executionCount,
      scheduleTimeMs: task.scheduleTimeMs,
      previousResponse: task.previousResponse,
      hasBody: task.http.body.length > 0,
      authorization: task.http.authorization,
      nowMs: now,
    });
    const record: DeliveryAttempt = {
      taskName: task.name,
      taskId: task.taskId,
      queueName: queue.name,
      url: task.http.url,
      method: task.http.method,
      headers,
      body: task.http.body,
      retryCount,
      executionCount: task.executionCount,
      dispatchedAtMs: now,
      durationMs: 0,
      status: null,
      error: null,
      responseBody: '',
      outcome: 'discarded',
      nextAttemptAtMs: null,
    };
    const delivery = sendHttpTask({
      url: task.http.url,
      method: task.http.method,
      headers,
      body: task.http.body,
      deadlineMs: task.dispatchDeadlineMs,
      signal: this.abort.signal,
      agents: this.agents,
    }).then((outcome) => {
      this.settle(queue, task, attempt, record, outcome);
      try {
        this.hooks.onDelivery(record);
      } catch (error) {
        // An observer's bug must not stall the queues.
        process.stderr.write(`cloud-tasks-emulator: onDelivery threw: ${coerceError(error).message}\n`);
      }
    });
    this.running.add(delivery);
    void delivery.finally(() => {
      this.running.delete(delivery);
      this.pump();
      this.hooks.changed();
    });
  }

  private settle(
    queue: QueueRecord,
    task: TaskRecord,
    attempt: AttemptRecord,
    record: DeliveryAttempt,
    outcome: HttpOutcome,
  ): void {
    const now = Date.now();
    task.inFlight = false;
    queue.inFlight -= 1;
    attempt.responseTimeMs = outcome.status === null ? null : now;
    attempt.status = attemptStatus(outcome.status, outcome.error);
    Object.assign(record, {
      durationMs: now - record.dispatchedAtMs,
      status: outcome.status,
      error: outcome.error,
      responseBody: outcome.responseBody,
    });
    this.attempts.push(record);
    if (this.attempts.length > KEPT_ATTEMPTS) this.attempts.splice(0, this.attempts.length - KEPT_ATTEMPTS);
    if (outcome.status !== null) {
      task.responseCount += 1;
      if (outcome.status < 500) task.executionCount += 1;
    }
    task.previousResponse = outcome.status;
    if (task.removed || this.stopped) return;
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      record.outcome = 'succeeded';
      this.store.removeTask(queue, task);
      return;
    }
    const firstAttemptMs = task.firstAttempt?.dispatchTimeMs ?? now;
    if (
      retriesExhausted(queue.settings.retry, {
        dispatchCount: task.dispatchCount,
        firstAttemptMs,
        nowMs: now,
      })
    ) {
      record.outcome = 'dropped';
      this.store.removeTask(queue, task);
      this.hooks.log({
        severity: 'WARNING',
        message: 'task dropped: retries exhausted',
        taskName: task.name,
        queueName: queue.name,
        dispatchCount: task.dispatchCount,
        lastStatus: outcome.status,
        lastError: outcome.error,
      });
      return;
    }
    record.outcome = 'retrying';
    task.scheduleTimeMs = now + retryDelayMs(queue.settings.retry, task.dispatchCount);
    record.nextAttemptAtMs = task.scheduleTimeMs;
  }
}
