/** Creating one HTTP task, named so that a repeat is a no-op (docs/architecture.md, "The flow"; docs/tokens.md). */
import type { CloudTasksClient } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import { coerceError, HostpayError } from '../errors.js';
import { TASK_ID_PATTERN } from './taskName.js';

export interface EnqueueTaskParams {
  project: string;
  location: string;
  /** Queue id (the last part of the queue name). */
  queue: string;
  /** Target of the HTTP POST. */
  url: string;
  /** Sent as JSON with `Content-Type: application/json`. */
  body: Record<string, unknown>;
  /** Task id from `taskName(purpose, uniqueId, attempt)`. */
  name: string;
  delaySeconds?: number;
  /** How long Cloud Tasks waits for the handler before counting the attempt as failed. */
  dispatchDeadlineSeconds?: number;
  /** Service account whose OIDC token Cloud Tasks attaches (production); none when absent. */
  oidcServiceAccountEmail?: string | undefined;
  /** OIDC audience; Cloud Tasks uses the target URL when absent. */
  audience?: string | undefined;
  /** Bound on the CreateTask call itself; default 10 s. */
  timeoutMs?: number;
  /** Clock for the schedule time; default Date.now. */
  now?: () => number;
}

export interface EnqueueTaskResult {
  /** False when a task of that name exists or ran lately: the work is already queued or done. */
  created: boolean;
  /** Full task name, `projects/P/locations/L/queues/Q/tasks/T`. */
  taskName: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Whole milliseconds as a protobuf Timestamp or Duration. */
function protoTime(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * Creates an HTTP POST task. ALREADY_EXISTS counts as done; any other failure (queue unreachable,
 * request refused) is a QUEUE_UNAVAILABLE HostpayError carrying the gRPC error as `cause`.
 */
export async function enqueueTask(
  client: CloudTasksClient,
  params: EnqueueTaskParams,
): Promise<EnqueueTaskResult> {
  if (!TASK_ID_PATTERN.test(params.name)) throw new TypeError(`invalid task id: ${params.name}`);
  const delaySeconds = params.delaySeconds ?? 0;
  if (!Number.isFinite(delaySeconds) || delaySeconds < 0) throw new TypeError('delaySeconds must be >= 0');
  const deadlineSeconds = params.dispatchDeadlineSeconds;
  if (deadlineSeconds !== undefined && !(Number.isFinite(deadlineSeconds) && deadlineSeconds > 0)) {
    throw new TypeError('dispatchDeadlineSeconds must be > 0');
  }
  const parent = client.queuePath(params.project, params.location, params.queue);
  const taskName = `${parent}/tasks/${params.name}`;
  const scheduleMs = (params.now ?? Date.now)() + Math.round(delaySeconds * 1000);
  const oidcToken =
    params.oidcServiceAccountEmail === undefined
      ? undefined
      : {
          serviceAccountEmail: params.oidcServiceAccountEmail,
          ...(params.audience === undefined ? {} : { audience: params.audience }),
        };
  try {
    await client.createTask(
      {
        parent,
        task: {
          name: taskName,
          httpRequest: {
            httpMethod: 'POST',
            url: params.url,
            headers: { 'Content-Type': 'application/json' },
            body: Buffer.from(JSON.stringify(params.body)).toString('base64'),
            ...(oidcToken === undefined ? {} : { oidcToken }),
          },
          scheduleTime: protoTime(scheduleMs),
          ...(deadlineSeconds === undefined
            ? {}
            : { dispatchDeadline: protoTime(Math.round(deadlineSeconds * 1000)) }),
        },
      },
      // CreateTask is not retried by the client; the deadline keeps an unreachable queue from hanging us.
      { timeout: params.timeoutMs ?? DEFAULT_TIMEOUT_MS },
    );
    return { created: true, taskName };
  } catch (caught) {
    const error = coerceError(caught);
    const grpcCode = (caught as { code?: unknown } | null)?.code;
    if (grpcCode === status.ALREADY_EXISTS) return { created: false, taskName };
    throw new HostpayError(
      'QUEUE_UNAVAILABLE',
      `could not create task ${params.name} on queue ${params.queue}`,
      {
        cause: error,
        details: {
          queue: parent,
          taskId: params.name,
          grpcCode: typeof grpcCode === 'number' ? grpcCode : null,
        },
      },
    );
  }
}
