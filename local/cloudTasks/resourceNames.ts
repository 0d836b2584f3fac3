/** Queue and task resource names as Cloud Tasks v2 spells and validates them. */
import { randomBytes } from 'node:crypto';

const QUEUE_NAME =
  /^projects\/([A-Za-z0-9:.-]{1,100})\/locations\/([A-Za-z0-9-]{1,100})\/queues\/([A-Za-z0-9-]{1,100})$/;
const TASK_NAME = /^(projects\/[^/]+\/locations\/[^/]+\/queues\/[^/]+)\/tasks\/([A-Za-z0-9_-]{1,500})$/;
const LOCATION_NAME = /^projects\/[A-Za-z0-9:.-]{1,100}\/locations\/[A-Za-z0-9-]{1,100}$/;

export function isQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

export function isLocationName(name: string): boolean {
  return LOCATION_NAME.test(name);
}

/** The short id at the end of a queue name (`X-CloudTasks-QueueName` carries this). */
export function queueId(queueName: string): string {
  return queueName.slice(queueName.lastIndexOf('/') + 1);
}

/** Splits `projects/P/locations/L/queues/Q/tasks/T` into its queue name and task id, or null. */
export function parseTaskName(name: string): { queueName: string; taskId: string } | null {
  const match = TASK_NAME.exec(name);
  if (match === null || match[1] === undefined || match[2] === undefined || !isQueueName(match[1]))
    return null;
  return { queueName: match[1], taskId: match[2] };
}

/** A task id for a task created without a name; real ids are long decimal numbers too. */
export function generateTaskId(): string {
  return BigInt(`0x${randomBytes(8).toString('hex')}`).toString(10);
}
