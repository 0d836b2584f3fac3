/** The tasks an attempt hands on: retries, confirmation checks, failures and upstream notices (docs/architecture.md, "The flow"; docs/tokens.md). */
import {
  attemptBoundSeconds,
  type Config,
  type ConfigWith,
  DISPATCH_MARGIN_SECONDS,
  MAX_DISPATCH_DEADLINE_SECONDS,
} from '../config/index.js';
import type { Payout } from '../db/index.js';
import { enqueueTask } from '../tasks/enqueueTask.js';
import { taskName } from '../tasks/taskName.js';
import {
  encodeCompletedToken,
  encodeFailedToken,
  encodeRequestToken,
  type FailedFields,
  type PaymentRequest,
} from './tokens.js';
import type { QueueDeps } from './types.js';

/** Enqueueing needs the client, the clock and the settings `K` of the queue and target it uses. */
type TaskDeps<K extends keyof Config = never> = Pick<QueueDeps, 'tasks' | 'now'> & {
  readonly config: ConfigWith<K>;
};

/** Settings of the retry queue and its target. */
export type RetryQueueSettings = 'retryQueue' | 'retryPaymentUrl';
/** Settings of the failure queue and its target. */
export type FailureQueueSettings = 'failureQueue' | 'recordFailureUrl';

// Cloud Tasks allows 15 s to 30 min; the longest attempt plus a margin fits (checked at config load).
function dispatchDeadline(deps: TaskDeps): number {
  const bound = attemptBoundSeconds(deps.config) + DISPATCH_MARGIN_SECONDS;
  return Math.min(MAX_DISPATCH_DEADLINE_SECONDS, Math.max(15, bound));
}

/** One attempt cycle: an operator retry starts a new one with a new `first_attempt_at`, so its names are new. */
export function cycleKey(request: Pick<PaymentRequest, 'unique_id' | 'first_attempt_at'>): string {
  return `${request.unique_id}@${request.first_attempt_at}`;
}

function enqueue(
  deps: TaskDeps,
  queue: string,
  url: string,
  name: string,
  body: Record<string, unknown>,
  delaySeconds = 0,
) {
  const config = deps.config;
  return enqueueTask(deps.tasks, {
    project: config.tasksProject,
    location: config.tasksLocation,
    queue,
    url,
    body,
    name,
    delaySeconds,
    dispatchDeadlineSeconds: dispatchDeadline(deps),
    oidcServiceAccountEmail: config.tasksInvokerServiceAccount,
    now: deps.now,
  });
}

/**
 * Puts a signed request on the retry queue for retryPayment: the one way every retry, check, operator retry
 * and sweep is handed on. `name` makes a repeat a no-op.
 */
export function enqueueAttempt(
  deps: TaskDeps<RetryQueueSettings>,
  params: { request: PaymentRequest; name: string; delaySeconds?: number },
) {
  const config = deps.config;
  const token = encodeRequestToken(config, params.request, deps.now());
  return enqueue(
    deps,
    config.retryQueue,
    config.retryPaymentUrl,
    params.name,
    { token },
    params.delaySeconds,
  );
}

/** Schedules attempt `request.attempt_count + 1` after `delaySeconds`, carrying the last error code. */
export function scheduleRetry(
  deps: TaskDeps<RetryQueueSettings>,
  request: PaymentRequest,
  params: { errorCode: string; delaySeconds: number },
) {
  const next: PaymentRequest = {
    ...request,
    attempt_count: request.attempt_count + 1,
    last_error_code: params.errorCode,
  };
  const name = taskName('retry', cycleKey(request), next.attempt_count);
  return enqueueAttempt(deps, { request: next, name, delaySeconds: params.delaySeconds });
}

/**
 * Schedules a confirmation check of a broadcast transaction: the same attempt again, so it does not use one
 * up. `round` tells successive checks apart (the task name must change for each).
 */
export function scheduleCheck(
  deps: TaskDeps<RetryQueueSettings>,
  request: PaymentRequest,
  params: { round: number },
) {
  return enqueueAttempt(deps, {
    request: { ...request, last_error_code: 'CONFIRMATION_TIMEOUT' },
    name: taskName('check', cycleKey(request), params.round),
    delaySeconds: deps.config.confirmationCheckDelaySeconds,
  });
}

/** The failure of one payout as recordFailure and the upstream learn it. */
export interface FinalFailure {
  errorCode: string;
  errorMessage: string;
}

/**
 * Hands a final failure to recordFailure: the signed request it concerns (which may be expired) and the
 * signed failure, so recordFailure trusts nothing unsigned.
 */
export function enqueueFailure(
  deps: TaskDeps<FailureQueueSettings>,
  params: { request: PaymentRequest; requestToken: string; failure: FinalFailure; name?: string },
) {
  const config = deps.config;
  const failure = encodeFailedToken(config, failedFields(params.request, params.failure), deps.now());
  const name = params.name ?? taskName('failure', cycleKey(params.request), 0);
  return enqueue(deps, config.failureQueue, config.recordFailureUrl, name, {
    request: params.requestToken,
    failure,
  });
}

/** The payment-failed layout's fields for a request and its final error. */
export function failedFields(request: PaymentRequest, failure: FinalFailure): FailedFields {
  return {
    unique_id: request.unique_id,
    cn_api_id: request.cn_api_id,
    error_code: failure.errorCode,
    error_message: failure.errorMessage,
    attempt_count: request.attempt_count,
    context: request.context,
  };
}

/** Tells the upstream a payout is confirmed: payment-completed token to `/payment-completed` (docs/tokens.md). */
export function enqueueCompletedNotice(
  deps: TaskDeps<'noticeQueue' | 'upstreamCompletedUrl'>,
  payout: Payout,
) {
  const config = deps.config;
  const url = config.upstreamCompletedUrls?.[payout.context] ?? config.upstreamCompletedUrl;
  const token = encodeCompletedToken(config, payout, deps.now());
  return enqueue(deps, config.noticeQueue, url, taskName('notice-completed', payout.uniqueId, 0), { token });
}

/** Tells the upstream a payout failed for good, when its URL is configured (docs/tokens.md). */
export async function enqueueFailedNotice(
  deps: TaskDeps<'noticeQueue'>,
  params: { request: PaymentRequest; failure: FinalFailure },
) {
  const config = deps.config;
  if (config.upstreamFailedUrl === undefined) return { created: false, taskName: null };
  const token = encodeFailedToken(config, failedFields(params.request, params.failure), deps.now());
  const name = taskName('notice-failed', cycleKey(params.request), 0);
  return enqueue(deps, config.noticeQueue, config.upstreamFailedUrl, name, { token });
}
