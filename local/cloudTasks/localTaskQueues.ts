/** The emulator's queues and tasks, with the naming rules Cloud Tasks enforces (no dispatching here). */
import { status } from '@grpc/grpc-js';
import { type QueueSettings, type QueueState, settingsFromSpec } from './queueSettings.js';
import { generateTaskId, isQueueName, parseTaskName } from './resourceNames.js';
import type { NewTask, QueueRecord, TaskRecord } from './taskRecords.js';
import { invalidArgument, notFound, TasksApiError } from './tasksApiError.js';

export interface TaskLimits {
  /** How long a used task name stays refused after its task ended (Cloud Tasks: about an hour or more). */
  nameReuseMs: number;
  /** Cloud Tasks accepts dispatch deadlines of 15 s to 30 min; tests may lower the minimum. */
  minDispatchDeadlineMs: number;
  maxDispatchDeadlineMs: number;
  defaultDispatchDeadlineMs: number;
}

export const DEFAULT_LIMITS: TaskLimits = {
  nameReuseMs: 3_600_000,
  minDispatchDeadlineMs: 15_000,
  maxDispatchDeadlineMs: 1_800_000,
  defaultDispatchDeadlineMs: 600_000,
};

const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const MAX_TASK_BYTES = 1024 * 1024;

/** Queues by name, their tasks, and the names used lately. `changed` runs after every mutation. */
export class LocalTaskQueues {
  readonly queues = new Map<string, QueueRecord>();
  private readonly usedNames = new Map<string, number>();

  constructor(
    readonly limits: TaskLimits,
    private readonly changed: () => void,
  ) {}

  createQueue(name: string, settings: QueueSettings, state: QueueState = 'RUNNING'): QueueRecord {
    if (!isQueueName(name)) throw invalidArgument(`invalid queue name: ${name}`);
    if (this.queues.has(name)) throw new TasksApiError(status.ALREADY_EXISTS, `queue ${name} already exists`);
    const queue: QueueRecord = {
      name,
      settings,
      state,
      purgeTimeMs: null,
      tasks: new Map(),
      inFlight: 0,
      nextDispatchMs: 0,
    };
    this.queues.set(name, queue);
    this.changed();
    return queue;
  }

  /** The queue, created with default settings when `createIfMissing` (UpdateQueue's upsert). */
  getQueue(name: string, createIfMissing = false): QueueRecord {
    const queue = this.queues.get(name);
    if (queue !== undefined) return queue;
    if (createIfMissing) return this.createQueue(name, settingsFromSpec({ name }));
    throw notFound(`queue ${name} does not exist`);
  }

  updateQueue(name: string, settings: QueueSettings): QueueRecord {
    const queue = this.getQueue(name, true);
    queue.settings = settings;
    this.changed();
    return queue;
  }

  deleteQueue(name: string): void {
    const queue = this.getQueue(name);
    for (const task of queue.tasks.values()) task.removed = true;
    this.queues.delete(name);
    this.changed();
  }

  setQueueState(name: string, state: QueueState): QueueRecord {
    const queue = this.getQueue(name);
    queue.state = state;
    this.changed();
    return queue;
  }

  /** Deletes every task of the queue; their names stay refused like any deleted task's. */
  purgeQueue(name: string): QueueRecord {
    const queue = this.getQueue(name);
    for (const task of [...queue.tasks.values()]) this.removeTask(queue, task);
    queue.purgeTimeMs = Date.now();
    this.changed();
    return queue;
  }

  createTask(queueName: string, input: NewTask): TaskRecord {
    const queue = this.getQueue(queueName);
    const now = Date.now();
    const taskId = input.taskId ?? generateTaskId();
    const name = `${queueName}/tasks/${taskId}`;
    if (parseTaskName(name) === null) throw invalidArgument(`invalid task name: ${name}`);
    if (queue.tasks.has(name) || this.nameRecentlyUsed(name, now)) {
      throw new TasksApiError(status.ALREADY_EXISTS, `task ${name} already exists or was used recently`);
    }
    const scheduleTimeMs = input.scheduleTimeMs ?? now;
    if (scheduleTimeMs > now + MAX_SCHEDULE_AHEAD_MS) {
      throw invalidArgument('schedule_time is more than 30 days in the future');
    }
    const deadline = input.dispatchDeadlineMs ?? this.limits.defaultDispatchDeadlineMs;
    if (deadline < this.limits.minDispatchDeadlineMs || deadline > this.limits.maxDispatchDeadlineMs) {
      throw invalidArgument(
        `dispatch_deadline must be between ${this.limits.minDispatchDeadlineMs} ms and ${this.limits.maxDispatchDeadlineMs} ms`,
      );
    }
    if (input.http.body.length > MAX_TASK_BYTES) throw invalidArgument('task is larger than 1 MB');
    const task: TaskRecord = {
      name,
      taskId,
      queueName,
      http: input.http,
      scheduleTimeMs,
      createTimeMs: now,
      dispatchDeadlineMs: deadline,
      dispatchCount: 0,
      responseCount: 0,
      executionCount: 0,
      previousResponse: null,
      firstAttempt: null,
      lastAttempt: null,
      inFlight: false,
      forced: false,
      removed: false,
    };
    queue.tasks.set(name, task);
    this.changed();
    return task;
  }

  getTask(name: string): TaskRecord {
    const parsed = parseTaskName(name);
    if (parsed === null) throw invalidArgument(`invalid task name: ${name}`);
    const task = this.getQueue(parsed.queueName).tasks.get(name);
    if (task === undefined) throw notFound(`task ${name} does not exist`);
    return task;
  }

  deleteTask(name: string): void {
    const task = this.getTask(name);
    this.removeTask(this.getQueue(task.queueName), task);
    this.changed();
  }

  /** RunTask: dispatch at once, even on a paused queue. */
  forceRun(task: TaskRecord): void {
    task.forced = true;
    this.changed();
  }

  /** Ends a task: forgets it and refuses its name for `nameReuseMs`. */
  removeTask(queue: QueueRecord, task: TaskRecord): void {
    task.removed = true;
    queue.tasks.delete(task.name);
    this.usedNames.set(task.name, Date.now() + this.limits.nameReuseMs);
  }

  private nameRecentlyUsed(name: string, now: number): boolean {
    const until = this.usedNames.get(name);
    if (until === undefined) return false;
    if (until > now) return true;
    this.usedNames.delete(name);
    return false;
  }
}
