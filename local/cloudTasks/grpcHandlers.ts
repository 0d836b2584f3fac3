/** The CloudTasks gRPC methods the emulator serves; the others answer UNIMPLEMENTED (grpc-js default). */
import {
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { coerceError } from '../../shared/errors.js';
import type { LocalTaskQueues } from './localTaskQueues.js';
import {
  applyQueueMessage,
  DEFAULT_SETTINGS,
  type QueueMessage,
  type QueueSettings,
  queueToMessage,
} from './queueSettings.js';
import { isLocationName } from './resourceNames.js';
import { type TaskMessage, taskFromMessage, taskToMessage } from './taskMessages.js';
import type { QueueRecord } from './taskRecords.js';
import { invalidArgument, TasksApiError } from './tasksApiError.js';

interface Request {
  name?: string;
  parent?: string;
  pageSize?: number;
  pageToken?: string;
  responseView?: string;
  task?: TaskMessage;
  queue?: QueueMessage;
  updateMask?: { paths?: string[] };
}

const MAX_PAGE_SIZE = 1000;

function unary(
  handle: (request: Request) => unknown,
): (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => void {
  return (call, callback) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      const apiError =
        error instanceof TasksApiError
          ? error
          : new TasksApiError(status.INTERNAL, coerceError(error).message);
      const serviceError: Partial<ServiceError> = { code: apiError.code, details: apiError.message };
      callback(serviceError);
    }
  };
}

/** One page of `items` after the offset in `pageToken`. */
function page<T>(items: T[], request: Request): { items: T[]; nextPageToken: string } {
  const offset = request.pageToken === undefined || request.pageToken === '' ? 0 : Number(request.pageToken);
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument('invalid page_token');
  const size = request.pageSize === undefined || request.pageSize <= 0 ? MAX_PAGE_SIZE : request.pageSize;
  const end = offset + Math.min(size, MAX_PAGE_SIZE);
  return { items: items.slice(offset, end), nextPageToken: end < items.length ? String(end) : '' };
}

function snakeCase(path: string): string {
  return path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Queue settings from a request; an out-of-range value is the caller's mistake. */
function settingsFrom(build: () => QueueSettings): QueueSettings {
  try {
    return build();
  } catch (error) {
    throw invalidArgument(coerceError(error).message);
  }
}

/** Handlers bound to `store`, which wakes the dispatcher after every change. */
export function cloudTasksHandlers(store: LocalTaskQueues): UntypedServiceImplementation {
  const queueMessage = (queue: QueueRecord): Record<string, unknown> => ({
    ...queueToMessage(queue.name, queue.settings, queue.state),
    ...(queue.purgeTimeMs === null
      ? {}
      : { purgeTime: { seconds: String(Math.floor(queue.purgeTimeMs / 1000)) } }),
  });
  const requireName = (request: Request): string => {
    if (request.name === undefined || request.name === '') throw invalidArgument('name is required');
    return request.name;
  };
  return {
    ListQueues: unary((request) => {
      const parent = request.parent ?? '';
      if (!isLocationName(parent)) throw invalidArgument(`invalid parent: ${parent}`);
      const queues = [...store.queues.values()].filter((queue) => queue.name.startsWith(`${parent}/queues/`));
      const { items, nextPageToken } = page(queues, request);
      return { queues: items.map(queueMessage), nextPageToken };
    }),
    GetQueue: unary((request) => queueMessage(store.getQueue(requireName(request)))),
    CreateQueue: unary((request) => {
      const name = request.queue?.name ?? '';
      if (!name.startsWith(`${request.parent ?? ''}/queues/`)) {
        throw invalidArgument('queue name does not belong to the parent location');
      }
      const settings = settingsFrom(() => applyQueueMessage(DEFAULT_SETTINGS, request.queue ?? {}));
      return queueMessage(store.createQueue(name, settings));
    }),
    UpdateQueue: unary((request) => {
      const name = request.queue?.name ?? '';
      const current = store.queues.get(name)?.settings ?? DEFAULT_SETTINGS;
      const paths = request.updateMask?.paths?.map(snakeCase);
      const settings = settingsFrom(() => applyQueueMessage(current, request.queue ?? {}, paths));
      return queueMessage(store.updateQueue(name, settings));
    }),
    DeleteQueue: unary((request) => {
      store.deleteQueue(requireName(request));
      return {};
    }),
    PurgeQueue: unary((request) => queueMessage(store.purgeQueue(requireName(request)))),
    PauseQueue: unary((request) => queueMessage(store.setQueueState(requireName(request), 'PAUSED'))),
    ResumeQueue: unary((request) => queueMessage(store.setQueueState(requireName(request), 'RUNNING'))),
    ListTasks: unary((request) => {
      const queue = store.getQueue(request.parent ?? '');
      const { items, nextPageToken } = page([...queue.tasks.values()], request);
      return { tasks: items.map((task) => taskToMessage(task, request.responseView)), nextPageToken };
    }),
    GetTask: unary((request) => taskToMessage(store.getTask(requireName(request)), request.responseView)),
    CreateTask: unary((request) => {
      const parent = request.parent ?? '';
      const task = store.createTask(parent, taskFromMessage(parent, request.task));
      return taskToMessage(task, request.responseView);
    }),
    DeleteTask: unary((request) => {
      store.deleteTask(requireName(request));
      return {};
    }),
    RunTask: unary((request) => {
      const task = store.getTask(requireName(request));
      if (task.inFlight) throw new TasksApiError(status.FAILED_PRECONDITION, 'the task is being dispatched');
      const answer = taskToMessage(task, request.responseView);
      store.forceRun(task);
      return answer;
    }),
  };
}
