/** One delivery of a payout task: the attempt of DESIGN.md §4 as a state machine over the ledger. */
import { randomUUID } from 'node:crypto';
import { mayStillBeMined } from '../chain/index.js';
import { classifyError } from '../classifier.js';
import {
  claimPayout,
  getPayout,
  incrementAttempt,
  listPayoutTransactions,
  markPayoutCancelled,
  markPayoutConfirmed,
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
import type { LedgerDeps } from './attemptDeps.js';
import { preparePayout } from './preparePayout.js';
import { scheduleRetry } from './schedule.js';
import { answerSettled, errorMessage, failPayout, notifyCompleted, schedulePending } from './settle.js';
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
    return failPayout(deps, log, { request, token: params.token, error });
  }
  if (existing) return answerSettled(deps, log, { payout: existing, request, token: params.token });

  let prepared: PayoutRequest;
  try {
    prepared = preparePayout(deps, request);
  } catch (error) {
    if (!(error instanceof HostpayError)) throw error;
    const stored = await getPayout(deps.sql, { uniqueId: request.unique_id });
    if (stored) return conflict(log, stored, ['request']);
    return failPayout(deps, log, { request, token: params.token, error });
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
    return answerSettled(deps, log, { payout: claim.payout, request, token: params.token });
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
  try {
    return await attemptTransfer(deps, log, { request, token: params.token, payout, leaseOwner });
  } catch (error) {
    // The queue redelivers after a 5xx; give the lease up so that redelivery can resume at once.
    await releaseLease(deps.sql, { uniqueId: payout.uniqueId, leaseOwner }).catch(() => undefined);
    throw error;
  }
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
    if (outcome.kind === 'cancelled') {
      await markPayoutCancelled(deps.sql, { uniqueId });
      log.notice('payment_cancelled', `payout ${uniqueId} ended with its cancellation mined`, {
        tx_hash: outcome.txHash,
      });
      return { ...base, status: 'cancelled', tx_hash: outcome.txHash };
    }
    const error = new HostpayError(
      'TRANSACTION_REVERTED_PERMANENT',
      `transaction ${outcome.txHash} reverted`,
    );
    return await failPayout(deps, log, {
      request,
      token: params.token,
      error,
      ledger: { payout, leaseOwner },
      txHash: outcome.txHash,
    });
  } catch (caught) {
    if (caught instanceof HostpayError && caught.category === 'infrastructure') throw caught;
    const c = classifyError(caught, {
      defaultSeconds: deps.config.retryDelaySeconds,
      rateLimitSeconds: deps.config.rateLimitRetryDelaySeconds,
    });
    const message = errorMessage(deps.config, caught);
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
    return failPayout(deps, log, { request, token: params.token, error, ledger: { payout, leaseOwner } });
  }
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

/** Whether a stored transaction may still be mined; a node that cannot answer counts as yes. */
async function stillPossible(deps: AttemptDeps, transactions: PayoutTransaction[]): Promise<boolean> {
  try {
    return await mayStillBeMined(deps.chain, transactions);
  } catch {
    return true;
  }
}
