/** gRPC statuses of the local Cloud Tasks API: its errors, and the status it records for an attempt. */

import { status } from '@grpc/grpc-js';

/** An API failure with the gRPC status code Cloud Tasks would answer. */
export class TasksApiError extends Error {
  override readonly name = 'TasksApiError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export function invalidArgument(message: string): TasksApiError {
  return new TasksApiError(status.INVALID_ARGUMENT, message);
}

export function notFound(message: string): TasksApiError {
  return new TasksApiError(status.NOT_FOUND, message);
}

/** The google.rpc.Status Cloud Tasks records for an attempt, from its HTTP answer. */
const BY_HTTP_STATUS: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ABORTED,
  429: status.RESOURCE_EXHAUSTED,
  499: status.CANCELLED,
  501: status.UNIMPLEMENTED,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

export function attemptStatus(
  httpStatus: number | null,
  error: string | null,
): { code: number; message: string } {
  if (httpStatus === null) {
    const timedOut = error?.includes('deadline') ?? false;
    return {
      code: timedOut ? status.DEADLINE_EXCEEDED : status.UNAVAILABLE,
      message: error ?? 'no response',
    };
  }
  if (httpStatus >= 200 && httpStatus < 300) return { code: status.OK, message: `HTTP ${httpStatus}` };
  const code =
    BY_HTTP_STATUS[httpStatus] ?? (httpStatus >= 500 ? status.INTERNAL : status.FAILED_PRECONDITION);
  return { code, message: `HTTP ${httpStatus}` };
}
