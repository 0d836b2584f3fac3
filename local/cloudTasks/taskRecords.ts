/** The in-memory shapes of local queues, tasks and delivery attempts. */
import type { AuthorizationSpec } from './deliveryHeaders.js';
import type { QueueSettings, QueueState } from './queueSettings.js';

export interface HttpTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  authorization: AuthorizationSpec;
}

/** A task as the client creates it; times in epoch milliseconds. */
export interface NewTask {
  taskId: string | null;
  http: HttpTarget;
  scheduleTimeMs: number | null;
  dispatchDeadlineMs: number | null;
}

export interface AttemptRecord {
  scheduleTimeMs: number;
  dispatchTimeMs: number;
  responseTimeMs: number | null;
  /** google.rpc.Status of the attempt; null while it runs. */
  status: { code: number; message: string } | null;
}

export interface TaskRecord {
  name: string;
  taskId: string;
  queueName: string;
  http: HttpTarget;
  scheduleTimeMs: number;
  createTimeMs: number;
  dispatchDeadlineMs: number;
  dispatchCount: number;
  responseCount: number;
  /** Responses other than 5xx, which is what `X-CloudTasks-TaskExecutionCount` counts. */
  executionCount: number;
  previousResponse: number | null;
  firstAttempt: AttemptRecord | null;
  lastAttempt: AttemptRecord | null;
  inFlight: boolean;
  /** Set by RunTask: dispatch now, even on a paused queue. */
  forced: boolean;
  /** Deleted (or its queue deleted) while a delivery was running; the result is then ignored. */
  removed: boolean;
}

export interface QueueRecord {
  name: string;
  settings: QueueSettings;
  state: QueueState;
  purgeTimeMs: number | null;
  tasks: Map<string, TaskRecord>;
  inFlight: number;
  nextDispatchMs: number;
}

/**
 * One HTTP delivery as the target saw it and what came of it: `succeeded` (2xx, task deleted),
 * `retrying` (scheduled again), `dropped` (retries spent, task deleted), `discarded` (the task was
 * deleted or the emulator stopped while it ran).
 */
export interface DeliveryAttempt {
  taskName: string;
  taskId: string;
  queueName: string;
  url: string;
  method: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  retryCount: number;
  executionCount: number;
  dispatchedAtMs: number;
  durationMs: number;
  status: number | null;
  error: string | null;
  responseBody: string;
  outcome: 'succeeded' | 'retrying' | 'dropped' | 'discarded';
  nextAttemptAtMs: number | null;
}

/** A structured line about something a real queue would log (a dropped task). */
export interface EmulatorLogEntry {
  severity: 'INFO' | 'WARNING' | 'ERROR';
  message: string;
  taskName: string;
  queueName: string;
  dispatchCount: number;
  lastStatus: number | null;
  lastError: string | null;
}
