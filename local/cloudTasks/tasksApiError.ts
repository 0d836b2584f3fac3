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
