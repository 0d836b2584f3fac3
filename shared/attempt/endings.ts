/** How an attempt ends, once it knows: a check scheduled, a final failure handed on, a settled payout answered. */
import type { Config } from '../config/index.js';
import { markPayoutFailed, markPayoutPendingConfirmation, type Payout } from '../db/index.js';
import type { HostpayError } from '../errors.js';
import { type Logger, redact } from '../log/index.js';
import { settledAnswer } from './decide.js';
import { enqueueCompletedNotice, enqueueFailure, scheduleCheck } from './schedule.js';
import type { PaymentRequest } from './tokens.js';
import type { AttemptDeps, AttemptResult, EngineConfig, QueueDeps } from './types.js';

const ERROR_MESSAGE_CHARS = 255;

/** An error's message as it may be stored and sent: secrets removed, cut short. */
export function errorMessage(config: Config, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text, config.secretValues).slice(0, ERROR_MESSAGE_CHARS);
}

/**
 * Broadcast, not settled within the bound: the payout left pending (or cancel_requested) with the lease given
 * up, a check task on the retry queue that uses no attempt, and the `payment_pending_too_long` ERROR once the
 * transaction has waited past PENDING_ALERT_SECONDS.
 */
export async function schedulePending(
  deps: AttemptDeps,
  log: Logger,
  params: {
    request: PaymentRequest;
    uniqueId: string;
    leaseOwner: string;
    txHash: string;
    sentAt: Date | null;
    error?: unknown;
  },
): Promise<AttemptResult> {
  // The fenced write first: a delivery that lost its lease queues nothing. Should the queue then fail, the
  // task is redelivered and resumes the payout (the sweep also finds it).
  await markPayoutPendingConfirmation(deps.sql, { uniqueId: params.uniqueId, leaseOwner: params.leaseOwner });
  const round = Math.floor(deps.now() / 1000 / Math.max(1, deps.config.confirmationCheckDelaySeconds));
  await scheduleCheck(deps, params.request, { round });
  const pendingSeconds = params.sentAt ? Math.floor((deps.now() - params.sentAt.getTime()) / 1000) : 0;
  const fields = { tx_hash: params.txHash, pending_seconds: pendingSeconds, error: params.error };
  if (pendingSeconds >= deps.config.pendingAlertSeconds) {
    log.error(
      'payment_pending_too_long',
      `payout ${params.uniqueId} pending for ${pendingSeconds} s`,
      fields,
    );
  } else {
    log.info(
      'payment_pending_confirmation',
      `payout ${params.uniqueId} broadcast, not yet confirmed`,
      fields,
    );
  }
  return {
    status: 'pending_confirmation',
    unique_id: params.uniqueId,
    attempt: params.request.attempt_count,
    tx_hash: params.txHash,
  };
}

/**
 * A final failure: the ledger row marked failed (when there is one: a request whose contents cannot become a
 * row has none, §3.2) and the failure handed to recordFailure by a named task, so a repeat is a no-op.
 */
export async function failPayout(
  deps: AttemptDeps,
  log: Logger,
  params: {
    request: PaymentRequest;
    token: string;
    error: HostpayError;
    ledger?: { payout: Payout; leaseOwner: string };
    txHash?: string;
  },
): Promise<AttemptResult> {
  const { request, error } = params;
  const message = errorMessage(deps.config, error);
  if (params.ledger) {
    await markPayoutFailed(deps.sql, {
      uniqueId: params.ledger.payout.uniqueId,
      errorCode: error.code,
      errorMessage: message,
      leaseOwner: params.ledger.leaseOwner,
    });
  }
  await enqueueFailure(deps, {
    request,
    requestToken: params.token,
    failure: { errorCode: error.code, errorMessage: message },
  });
  log.error('payment_failed', `payout ${request.unique_id} failed with ${error.code}: ${message}`, {
    error_code: error.code,
    tx_hash: params.txHash,
    error,
  });
  return {
    status: 'failed',
    unique_id: request.unique_id,
    attempt: request.attempt_count,
    error_code: error.code,
  };
}

/** A payout already settled, or alive under its own tasks: repeat what it needs, change nothing. */
export async function answerSettled(
  deps: AttemptDeps,
  log: Logger,
  params: { payout: Payout; request: PaymentRequest; token: string },
): Promise<AttemptResult> {
  const { payout } = params;
  const uniqueId = payout.uniqueId;
  const answer = settledAnswer(payout.status);
  if (answer === 'already_completed') {
    await notifyCompleted(deps, log, payout);
    log.info('payment_already_completed', `payout ${uniqueId} was already confirmed`, {
      tx_hash: payout.confirmedTxHash ?? undefined,
    });
    return { status: answer, unique_id: uniqueId, tx_hash: payout.confirmedTxHash ?? undefined };
  }
  if (answer === 'failed') {
    const failure = {
      errorCode: payout.lastErrorCode ?? 'UNKNOWN_ERROR',
      errorMessage: payout.lastErrorMessage ?? '',
    };
    await enqueueFailure(deps, { request: params.request, requestToken: params.token, failure });
    return { status: answer, unique_id: uniqueId, error_code: failure.errorCode };
  }
  if (answer === 'cancelled') return { status: answer, unique_id: uniqueId };
  log.info('attempt_skipped', `expired delivery for payout ${uniqueId}, which is ${payout.status}`);
  return { status: answer, unique_id: uniqueId };
}

/** Queues the payment-completed notice; named, so each repeat after success is a no-op. */
export async function notifyCompleted(
  deps: QueueDeps<EngineConfig>,
  log: Logger,
  payout: Payout,
): Promise<void> {
  const { created } = await enqueueCompletedNotice(deps, payout);
  if (created) {
    log.info('upstream_notified', `payment-completed queued for ${payout.uniqueId}`, {
      tx_hash: payout.confirmedTxHash ?? undefined,
    });
  }
}
