/** Task messages of the v2 API to and from the emulator's records, with the checks Cloud Tasks makes. */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { status } from '@grpc/grpc-js';
import type { AuthorizationSpec } from './deliveryHeaders.js';
import { msToProto, type ProtoSeconds, protoToMs } from './protoTime.js';
import { parseTaskName } from './resourceNames.js';
import type { AttemptRecord, NewTask, TaskRecord } from './taskRecords.js';
import { invalidArgument, TasksApiError } from './tasksApiError.js';

/** The Task message as proto-loader decodes it (camelCase, enums as names, oneofs named). */
export interface TaskMessage {
  name?: string;
  messageType?: string;
  httpRequest?: {
    url?: string;
    httpMethod?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    authorizationHeader?: string;
    oauthToken?: { serviceAccountEmail?: string; scope?: string };
    oidcToken?: { serviceAccountEmail?: string; audience?: string };
  } | null;
  scheduleTime?: ProtoSeconds | null;
  dispatchDeadline?: ProtoSeconds | null;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const MAX_URL_LENGTH = 2083;

/** Reads a CreateTask request's task for `queueName`; throws TasksApiError on what Cloud Tasks rejects. */
export function taskFromMessage(queueName: string, message: TaskMessage | null | undefined): NewTask {
  if (message === null || message === undefined) throw invalidArgument('task is required');
  let taskId: string | null = null;
  if (message.name !== undefined && message.name !== '') {
    const parsed = parseTaskName(message.name);
    if (parsed === null) throw invalidArgument(`invalid task name: ${message.name}`);
    if (parsed.queueName !== queueName)
      throw invalidArgument('task name does not belong to the parent queue');
    taskId = parsed.taskId;
  }
  if (message.messageType === 'appEngineHttpRequest') {
    throw new TasksApiError(status.UNIMPLEMENTED, 'the local emulator only dispatches HTTP tasks');
  }
  const http = message.httpRequest;
  if (http === null || http === undefined) throw invalidArgument('task.http_request is required');
  const url = http.url ?? '';
  if (!/^https?:\/\/[^/]/.test(url) || url.length > MAX_URL_LENGTH || !URL.canParse(url)) {
    throw invalidArgument('http_request.url must be an http or https URL of at most 2083 characters');
  }
  const method =
    http.httpMethod === undefined || http.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : http.httpMethod;
  const body = http.body ?? Buffer.alloc(0);
  if (body.length > 0 && !METHODS_WITH_BODY.has(method)) {
    throw invalidArgument(`a ${method} task cannot have a body`);
  }
  const headers = { ...http.headers };
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw invalidArgument(`invalid HTTP header ${JSON.stringify(name)}`);
    }
  }
  return {
    taskId,
    http: { url, method, headers, body, authorization: authorizationFrom(http) },
    scheduleTimeMs: protoToMs(message.scheduleTime),
    dispatchDeadlineMs: protoToMs(message.dispatchDeadline),
  };
}

function authorizationFrom(http: NonNullable<TaskMessage['httpRequest']>): AuthorizationSpec {
  if (http.authorizationHeader === 'oidcToken' && http.oidcToken !== undefined) {
    const email = http.oidcToken.serviceAccountEmail ?? '';
    if (email === '') throw invalidArgument('oidc_token.service_account_email is required');
    return { oidc: { serviceAccountEmail: email, audience: http.oidcToken.audience ?? '' } };
  }
  if (http.authorizationHeader === 'oauthToken' && http.oauthToken !== undefined) {
    const email = http.oauthToken.serviceAccountEmail ?? '';
    if (email === '') throw invalidArgument('oauth_token.service_account_email is required');
    return { oauth: { serviceAccountEmail: email, scope: http.oauthToken.scope ?? '' } };
  }
  return {};
}

/** The Task message; the BASIC view (the default) leaves out the body, as Cloud Tasks does. */
export function taskToMessage(task: TaskRecord, view: string | undefined): Record<string, unknown> {
  const full = view === 'FULL';
  const { oidc, oauth } = task.http.authorization;
  return {
    name: task.name,
    httpRequest: {
      url: task.http.url,
      httpMethod: task.http.method,
      headers: task.http.headers,
      ...(full ? { body: task.http.body } : {}),
      ...(oidc === undefined ? {} : { oidcToken: oidc }),
      ...(oauth === undefined ? {} : { oauthToken: oauth }),
    },
    scheduleTime: msToProto(task.scheduleTimeMs),
    createTime: msToProto(task.createTimeMs),
    dispatchDeadline: msToProto(task.dispatchDeadlineMs),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    ...(task.firstAttempt === null
      ? {}
      : { firstAttempt: { dispatchTime: msToProto(task.firstAttempt.dispatchTimeMs) } }),
    ...(task.lastAttempt === null ? {} : { lastAttempt: attemptToMessage(task.lastAttempt) }),
    view: full ? 'FULL' : 'BASIC',
  };
}

function attemptToMessage(attempt: AttemptRecord): Record<string, unknown> {
  return {
    scheduleTime: msToProto(attempt.scheduleTimeMs),
    dispatchTime: msToProto(attempt.dispatchTimeMs),
    ...(attempt.responseTimeMs === null ? {} : { responseTime: msToProto(attempt.responseTimeMs) }),
    ...(attempt.status === null ? {} : { responseStatus: attempt.status }),
  };
}
