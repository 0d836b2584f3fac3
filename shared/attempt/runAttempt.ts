/** One delivery of a payout task: the attempt of DESIGN.md §4 as a state machine over the ledger. */
import { randomUUID } from 'node:crypto';
import { resolveAsset } from '../assets.js';
import { mayStillBeMined } from '../chain/index.js';
import { validateRecipient } from '../chain/recipient.js';
import { classifyError } from '../classifier.js';
import {
  claimPayout,
  getPayout,
  incrementAttempt,
  listPayoutTransactions,
  markPayoutConfirmed,
  markPayoutFailed,
  markPayoutPendingConfirmation,
  markPayoutRetryScheduled,
  markPayoutSubmitted,
  type Payout,
  type PayoutRequest,
  type PayoutTransaction,
  releaseLease,
} from '../db/index.js';
import { HostpayError } from '../errors.js';
import { RequestError } from '../http/requestError.js';
import type { Logger } from '../log.js';
import { redact } from '../log.js';
import { decimalFromDouble, toBaseUnits } from '../money.js';
import type { LedgerDeps } from './attemptDeps.js';
import { enqueueCompletedNotice, enqueueFailure, scheduleCheck, scheduleRetry } from './schedule.js';
import { type PaymentRequest, readRequestToken } from './tokens.js';
import { type TransferDeps, transferPayout } from './transfer.js';

/** The answers of DESIGN.md §4, each with HTTP 200: the delivery was handled, whatever the payout's fate. */
export type AttemptStatus =
  | 'success'
  | 'already_completed'
  | 'in_progress'
  | 'skipped'
  | 'pending_confirmation'
  | 'retry_scheduled'
  | 'failed'
  | 'cancelled';

export interface AttemptResult {
  status: AttemptStatus;
  unique_id: string;
  attempt?: number;
  tx_hash?: string;
  error_code?: string;
  retry_in_seconds?: number;
}

export type AttemptDeps = LedgerDeps & TransferDeps;

const ERROR_MESSAGE_CHARS = 255;

/**
 * Runs one delivery of a payment request or retry token. Bad signatures and malformed tokens are refused
 * (RequestError 401/400, nothing stored); everything genuinely signed ends confirmed, scheduled again, or
 * handed to recordFailure. Database or queue failures propagate so the queue redelivers (§4 step 6).
 */
export async function runAttempt(
  deps: AttemptDeps,
  params: { token: string; logger: Logger },
): Promise<AttemptResult> {
  const read = readRequest(deps, params.token, params.logger);
  const request = read.request;
  const log = params.logger.child({
    unique_id: request.unique_id,
    context: request.context,
    attempt: request.attempt_count,
  });
  log.info('payment_received', `payout ${request.unique_id} attempt ${request.attempt_count} received`, {
    currency: request.from_currency,
    network: request.from_network,
    retry: request.attempt_count > 1,
  });

  if (request.attempt_count > deps.config.maxAttempts) {
    log.warn(
      'attempt_skipped',
      `attempt ${request.attempt_count} is above the maximum of ${deps.config.maxAttempts}`,
    );
    return { status: 'skipped', unique_id: request.unique_id, attempt: request.attempt_count };
  }

  const existing = read.expired ? await getPayout(deps.sql, { uniqueId: request.unique_id }) : null;
  if (read.expired && existing === null) {
    const error = new HostpayError('TOKEN_EXPIRED', 'the signed request is outside its freshness window');
    return failWithoutLedger(deps, log, { request, token: params.token, error });
  }
  if (existing) return answerSettled(deps, log, existing, request, params.token);

  let prepared: PayoutRequest;
  try {
    prepared = preparePayout(deps, request);
  } catch (error) {
    if (!(error instanceof HostpayError)) throw error;
    const stored = await getPayout(deps.sql, { uniqueId: request.unique_id });
    if (stored) return conflict(log, stored, ['request']);
    return failWithoutLedger(deps, log, { request, token: params.token, error });
  }

  const leaseOwner = randomUUID();
  const claim = await claimPayout(deps.sql, {
    ...prepared,
    leaseOwner,
    leaseSeconds: deps.config.leaseSeconds,
  });
  if (claim.outcome === 'mismatch') return conflict(log, claim.payout, claim.mismatchedFields);
  if (!claim.owned) {
    if (claim.outcome === 'leased') {
      log.info('payment_in_progress', `payout ${request.unique_id} is being worked on by another delivery`);
      return { status: 'in_progress', unique_id: request.unique_id };
    }
    return answerSettled(deps, log, claim.payout, request, params.token);
  }

  let payout = claim.payout;
  if (request.attempt_count < payout.attemptCount) {
    await releaseLease(deps.sql, { uniqueId: payout.uniqueId, leaseOwner });
    log.info(
      'attempt_skipped',
      `stale delivery of attempt ${request.attempt_count}; the ledger is at ${payout.attemptCount}`,
    );
    return { status: 'skipped', unique_id: request.unique_id, attempt: request.attempt_count };
  }
  while (payout.attemptCount < request.attempt_count) {
    payout = await incrementAttempt(deps.sql, { uniqueId: payout.uniqueId, leaseOwner });
  }
  return attemptTransfer(deps, log, { request, token: params.token, payout, leaseOwner });
}

async function attemptTransfer(
  deps: AttemptDeps,
  log: Logger,
  params: { request: PaymentRequest; token: string; payout: Payout; leaseOwner: string },
): Promise<AttemptResult> {
  const { request, payout, leaseOwner } = params;
  const uniqueId = payout.uniqueId;
  const base = { unique_id: uniqueId, attempt: request.attempt_count };
  try {
    const outcome = await transferPayout(deps, { payout, leaseOwner, log });
    if (outcome.kind === 'confirmed') {
      const confirmed = await markPayoutConfirmed(deps.sql, { uniqueId, ...outcome });
      log.notice('payment_confirmed', `payout ${uniqueId} confirmed in block ${outcome.blockNumber}`, {
        tx_hash: outcome.txHash,
        block_number: outcome.blockNumber,
        gas_used: outcome.gasUsed,
      });
      await notifyCompleted(deps, log, confirmed);
      return { ...base, status: 'success', tx_hash: outcome.txHash };
    }
    if (outcome.kind === 'pending') {
      await markPayoutSubmitted(deps.sql, { uniqueId, leaseOwner });
      return await schedulePending(deps, log, {
        request,
        uniqueId,
        txHash: outcome.txHash,
        sentAt: outcome.sentAt,
      });
    }
    const error = new HostpayError(
      'TRANSACTION_REVERTED_PERMANENT',
      `transaction ${outcome.txHash} reverted`,
    );
    return await fail(deps, log, { ...params, error, txHash: outcome.txHash });
  } catch (caught) {
    if (caught instanceof HostpayError && caught.category === 'infrastructure') throw caught;
    const c = classifyError(caught, {
      defaultSeconds: deps.config.retryDelaySeconds,
      rateLimitSeconds: deps.config.rateLimitRetryDelaySeconds,
    });
    const message = errorMessage(deps, caught);
    if (c.retryable && request.attempt_count < deps.config.maxAttempts) {
      const delaySeconds = c.retryDelaySeconds ?? deps.config.retryDelaySeconds;
      await scheduleRetry(deps, request, { errorCode: c.code, delaySeconds });
      await markPayoutRetryScheduled(deps.sql, {
        uniqueId,
        errorCode: c.code,
        errorMessage: message,
        leaseOwner,
      });
      log.warn(
        'payment_retry_scheduled',
        `attempt ${request.attempt_count} failed with ${c.code}; retry in ${delaySeconds} s`,
        {
          error_code: c.code,
          error: caught,
        },
      );
      return { ...base, status: 'retry_scheduled', error_code: c.code, retry_in_seconds: delaySeconds };
    }
    // A retry resumes stored transactions first, so it is safe above; a final failure is not while one of
    // them might still be mined: keep checking it instead (DESIGN.md §3.1).
    const transactions = await listPayoutTransactions(deps.sql, { uniqueId });
    const live = transactions.some((t) => t.status === 'mined') || (await stillPossible(deps, transactions));
    const last = transactions.at(-1);
    if (live && last) {
      return schedulePending(deps, log, {
        request,
        uniqueId,
        txHash: last.hash,
        sentAt: last.sentAt,
        error: caught,
      });
    }
    const error =
      caught instanceof HostpayError ? caught : new HostpayError(c.code, message, { cause: caught });
    return fail(deps, log, { ...params, error });
  }
}

async function schedulePending(
  deps: AttemptDeps,
  log: Logger,
  params: { request: PaymentRequest; uniqueId: string; txHash: string; sentAt: Date | null; error?: unknown },
): Promise<AttemptResult> {
  const round = Math.floor(deps.now() / 1000 / Math.max(1, deps.config.confirmationCheckDelaySeconds));
  await scheduleCheck(deps, params.request, { round });
  await markPayoutPendingConfirmation(deps.sql, { uniqueId: params.uniqueId });
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

/** Marks the payout failed and hands it to recordFailure; the failure task is named, so a repeat is a no-op. */
async function fail(
  deps: AttemptDeps,
  log: Logger,
  params: {
    request: PaymentRequest;
    token: string;
    payout: Payout;
    leaseOwner: string;
    error: HostpayError;
    txHash?: string;
  },
): Promise<AttemptResult> {
  const { request, error } = params;
  const message = errorMessage(deps, error);
  await markPayoutFailed(deps.sql, {
    uniqueId: params.payout.uniqueId,
    errorCode: error.code,
    errorMessage: message,
    leaseOwner: params.leaseOwner,
  });
  await enqueueFailure(deps, {
    request,
    requestToken: params.token,
    failure: { errorCode: error.code, errorMessage: message },
  });
  log.error('payment_failed', `payout ${request.unique_id} failed with ${error.code}`, {
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

/** A genuinely signed request whose contents cannot become a ledger row (§3.2): recorded, never dropped. */
async function failWithoutLedger(
  deps: AttemptDeps,
  log: Logger,
  params: { request: PaymentRequest; token: string; error: HostpayError },
): Promise<AttemptResult> {
  const { request, error } = params;
  const message = errorMessage(deps, error);
  await enqueueFailure(deps, {
    request,
    requestToken: params.token,
    failure: { errorCode: error.code, errorMessage: message },
  });
  log.error('payment_failed', `payout ${request.unique_id} refused with ${error.code}: ${message}`, {
    error_code: error.code,
  });
  return {
    status: 'failed',
    unique_id: request.unique_id,
    attempt: request.attempt_count,
    error_code: error.code,
  };
}

/** A payout already settled, or alive under its own tasks: repeat what it needs, change nothing. */
async function answerSettled(
  deps: AttemptDeps,
  log: Logger,
  payout: Payout,
  request: PaymentRequest,
  token: string,
): Promise<AttemptResult> {
  const uniqueId = payout.uniqueId;
  if (payout.status === 'confirmed') {
    await notifyCompleted(deps, log, payout);
    log.info('payment_already_completed', `payout ${uniqueId} was already confirmed`, {
      tx_hash: payout.confirmedTxHash ?? undefined,
    });
    return { status: 'already_completed', unique_id: uniqueId, tx_hash: payout.confirmedTxHash ?? undefined };
  }
  if (payout.status === 'failed') {
    const failure = {
      errorCode: payout.lastErrorCode ?? 'UNKNOWN_ERROR',
      errorMessage: payout.lastErrorMessage ?? '',
    };
    await enqueueFailure(deps, { request, requestToken: token, failure });
    return { status: 'failed', unique_id: uniqueId, error_code: failure.errorCode };
  }
  if (payout.status === 'cancelled') return { status: 'cancelled', unique_id: uniqueId };
  log.info('attempt_skipped', `expired delivery for payout ${uniqueId}, which is ${payout.status}`);
  return { status: 'skipped', unique_id: uniqueId };
}

async function notifyCompleted(deps: AttemptDeps, log: Logger, payout: Payout): Promise<void> {
  const { created } = await enqueueCompletedNotice(deps, payout);
  if (created)
    log.info('upstream_notified', `payment-completed queued for ${payout.uniqueId}`, {
      tx_hash: payout.confirmedTxHash ?? undefined,
    });
}

function conflict(log: Logger, payout: Payout, fields: string[]): never {
  log.error(
    'payout_conflict',
    `a signed request for ${payout.uniqueId} differs from the stored payout in ${fields.join(', ')}`,
    {
      fields,
      status: payout.status,
    },
  );
  throw new RequestError(
    409,
    'payout_conflict',
    `unique_id ${payout.uniqueId} exists with different contents`,
  );
}

function readRequest(deps: AttemptDeps, token: string, logger: Logger) {
  try {
    return readRequestToken(deps.config, token, deps.now());
  } catch (error) {
    if (!(error instanceof HostpayError)) throw error;
    const status = error.code === 'TOKEN_BAD_SIGNATURE' ? 401 : 400;
    logger.error('token_rejected', `token refused: ${error.message}`, { error_code: error.code });
    throw new RequestError(status, error.code.toLowerCase(), error.message);
  }
}

/** Validates the request's contents into a ledger row (DESIGN.md §4 step 4): asset, amount and cap, recipient. */
function preparePayout(deps: AttemptDeps, request: PaymentRequest): PayoutRequest {
  const asset = resolveAsset(deps.assets, { currency: request.from_currency, network: request.from_network });
  const amountDecimal = decimalFromDouble(request.from_amount);
  const amountBaseUnits = toBaseUnits(amountDecimal, asset.decimals);
  const cap = deps.config.paymentCaps?.[asset.symbol];
  if (cap === undefined)
    throw new HostpayError('UNSUPPORTED_CURRENCY', `no payment cap is configured for ${asset.symbol}`);
  if (amountBaseUnits > toBaseUnits(cap, asset.decimals)) {
    throw new HostpayError('INVALID_AMOUNT', `${amountDecimal} ${asset.symbol} is above the cap of ${cap}`);
  }
  return {
    uniqueId: request.unique_id,
    cnApiId: request.cn_api_id,
    context: request.context,
    currency: asset.symbol,
    network: asset.network,
    chainId: asset.chainId,
    assetAddress: asset.kind === 'erc20' ? asset.address : null,
    decimals: asset.decimals,
    recipient: validateRecipient(request.payin_address),
    amountDecimal,
    amountBaseUnits,
  };
}

function errorMessage(deps: AttemptDeps, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text, deps.config.secretValues).slice(0, ERROR_MESSAGE_CHARS);
}

/** Whether a stored transaction may still be mined; a node that cannot answer counts as yes. */
async function stillPossible(deps: AttemptDeps, transactions: PayoutTransaction[]): Promise<boolean> {
  try {
    return await mayStillBeMined(deps.chain, transactions);
  } catch {
    return true;
  }
}
