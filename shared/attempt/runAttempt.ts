/** One delivery of a payout task: the attempt as a state machine over the ledger (docs/architecture.md, "The flow"). */
import { randomUUID } from 'node:crypto';
import { classifyError } from '../classifier/index.js';
import {
  claimPayout,
  getPayout,
  incrementAttempt,
  listPayoutTransactions,
  markPayoutCancelled,
  markPayoutConfirmed,
  markPayoutRetryScheduled,
  type Payout,
  type PayoutRequest,
  type PayoutTransaction,
  releaseLease,
} from '../db/index.js';
import { HostpayError } from '../errors.js';
import { RequestError } from '../http/requestError.js';
import type { Logger } from '../log/index.js';
import { mayStillPay } from '../payout/index.js';
import { runChainStep } from './chainStep.js';
import { claimVerdict, deliveryVerdict, endAfterError, retriesAfterError } from './decide.js';
import { answerSettled, errorMessage, failPayout, notifyCompleted, schedulePending } from './endings.js';
import { preparePayout, refuseUnstorable } from './preparePayout.js';
import { scheduleRetry } from './schedule.js';
import { type PaymentRequest, readRequestToken } from './tokens.js';
import type { AttemptDeps, AttemptResult } from './types.js';

/**
 * Runs one delivery of a payment request or retry token. Bad signatures and malformed tokens are refused
 * (RequestError 401/400, nothing stored); everything genuinely signed ends confirmed, scheduled again, or
 * handed to recordFailure. Database or queue failures propagate so the queue redelivers.
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

  if (deliveryVerdict({ attempt: request.attempt_count, maxAttempts: deps.config.maxAttempts }) !== 'go') {
    log.warn(
      'attempt_skipped',
      `attempt ${request.attempt_count} is above the maximum of ${deps.config.maxAttempts}`,
    );
    return { status: 'skipped', unique_id: request.unique_id, attempt: request.attempt_count };
  }

  try {
    refuseUnstorable(request);
  } catch (error) {
    if (!(error instanceof HostpayError)) throw error;
    return failPayout(deps, log, { request, token: params.token, error });
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
  const verdict = claimVerdict(claim);
  if (verdict === 'conflict') return conflict(log, claim.payout, claim.mismatchedFields);
  if (verdict === 'in_progress') {
    log.info('payment_in_progress', `payout ${request.unique_id} is being worked on by another delivery`);
    return { status: 'in_progress', unique_id: request.unique_id };
  }
  if (verdict === 'settled')
    return answerSettled(deps, log, { payout: claim.payout, request, token: params.token });

  let payout = claim.payout;
  const gate = { attempt: request.attempt_count, maxAttempts: deps.config.maxAttempts };
  if (deliveryVerdict({ ...gate, ledgerAttempt: payout.attemptCount }) === 'stale') {
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
    return await advanceLeasedPayout(deps, log, { request, token: params.token, payout, leaseOwner });
  } catch (error) {
    // The queue redelivers after a 5xx; give the lease up so that redelivery can resume at once.
    await releaseLease(deps.sql, { uniqueId: payout.uniqueId, leaseOwner }).catch(() => undefined);
    throw error;
  }
}

/**
 * The work of a delivery that holds the payout's lease (`leaseOwner`): advance it on chain and settle the
 * ledger with what came of it. An operator's cancel runs the same, under a lease of its own.
 */
export async function advanceLeasedPayout(
  deps: AttemptDeps,
  log: Logger,
  params: { request: PaymentRequest; token: string; payout: Payout; leaseOwner: string },
): Promise<AttemptResult> {
  const { request, payout, leaseOwner } = params;
  const uniqueId = payout.uniqueId;
  const base = { unique_id: uniqueId, attempt: request.attempt_count };
  try {
    const outcome = await runChainStep(deps, { payout, leaseOwner, log });
    if (outcome.kind === 'confirmed') {
      // The chain decided: confirmed whoever holds the lease now.
      const confirmed = await markPayoutConfirmed(deps.sql, { uniqueId, ...outcome });
      log.notice('payment_confirmed', `payout ${uniqueId} confirmed in block ${outcome.blockNumber}`, {
        tx_hash: outcome.txHash,
        block_number: outcome.blockNumber,
        gas_used: outcome.gasUsed,
        // From the first delivery to the confirmation: the dashboard's time-to-confirm distribution.
        seconds_to_confirm: Math.max(
          0,
          Math.round(
            ((confirmed.confirmedAt?.getTime() ?? deps.now()) - confirmed.createdAt.getTime()) / 1000,
          ),
        ),
      });
      await notifyCompleted(deps, log, confirmed);
      return { ...base, status: 'success', tx_hash: outcome.txHash };
    }
    if (outcome.kind === 'pending') {
      return await schedulePending(deps, log, {
        request,
        uniqueId,
        leaseOwner,
        txHash: outcome.txHash,
        sentAt: outcome.sentAt,
      });
    }
    if (outcome.kind === 'cancelled')
      return await endCancelled(deps, log, { ...base, leaseOwner, txHash: outcome.txHash });
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
    if (caught instanceof HostpayError && caught.category === 'fence') return superseded(log, base, caught);
    if (caught instanceof HostpayError && caught.category === 'infrastructure') throw caught;
    try {
      return await afterError(deps, log, { ...params, caught });
    } catch (error) {
      if (error instanceof HostpayError && error.category === 'fence') return superseded(log, base, error);
      throw error;
    }
  }
}

/**
 * An attempt that ended in an error: another attempt while one is left and the error is transient; else a
 * check while anything stored may still pay (or a cancel is being settled); else the payout is dead: failed,
 * or cancelled when that was asked. Each ledger write is fenced by the lease and comes before its task.
 */
async function afterError(
  deps: AttemptDeps,
  log: Logger,
  params: { request: PaymentRequest; token: string; payout: Payout; leaseOwner: string; caught: unknown },
): Promise<AttemptResult> {
  const { request, leaseOwner, caught } = params;
  const uniqueId = params.payout.uniqueId;
  const base = { unique_id: uniqueId, attempt: request.attempt_count };
  const c = classifyError(caught, {
    defaultSeconds: deps.config.retryDelaySeconds,
    rateLimitSeconds: deps.config.rateLimitRetryDelaySeconds,
  });
  const message = errorMessage(deps.config, caught);
  const cancelRequested = (await getPayout(deps.sql, { uniqueId }))?.status === 'cancel_requested';
  const attempt = { attempt: request.attempt_count, maxAttempts: deps.config.maxAttempts };
  if (retriesAfterError({ ...attempt, retryable: c.retryable, cancelRequested })) {
    const delaySeconds = c.retryDelaySeconds ?? deps.config.retryDelaySeconds;
    await markPayoutRetryScheduled(deps.sql, {
      uniqueId,
      errorCode: c.code,
      errorMessage: message,
      leaseOwner,
    });
    await scheduleRetry(deps, request, { errorCode: c.code, delaySeconds });
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
  // them may still pay: keep checking it instead (docs/architecture.md, "Provably dead").
  const transactions = await listPayoutTransactions(deps.sql, { uniqueId });
  const last = transactions.at(-1);
  const mayStillPay = last !== undefined && (await stillPossible(deps, transactions));
  const end = endAfterError({ mayStillPay, cancelRequested });
  if (end === 'check' && last) {
    return schedulePending(deps, log, {
      request,
      uniqueId,
      leaseOwner,
      txHash: last.hash,
      sentAt: last.sentAt,
      error: caught,
    });
  }
  if (end === 'cancelled') return endCancelled(deps, log, { ...base, leaseOwner, txHash: null });
  const error =
    caught instanceof HostpayError ? caught : new HostpayError(c.code, message, { cause: caught });
  return failPayout(deps, log, {
    request,
    token: params.token,
    error,
    ledger: { payout: params.payout, leaseOwner },
  });
}

/** Nothing of the payout can pay any more and an operator asked for that: cancelled, final. */
async function endCancelled(
  deps: AttemptDeps,
  log: Logger,
  params: { unique_id: string; attempt: number; leaseOwner: string; txHash: string | null },
): Promise<AttemptResult> {
  const { leaseOwner, txHash, ...base } = params;
  await markPayoutCancelled(deps.sql, { uniqueId: base.unique_id, leaseOwner });
  log.notice('payment_cancelled', `payout ${base.unique_id} cancelled: nothing of it can pay any more`, {
    tx_hash: txHash ?? undefined,
  });
  return { ...base, status: 'cancelled', ...(txHash ? { tx_hash: txHash } : {}) };
}

/** This delivery lost the payout to another (or it was settled meanwhile): it stops, having changed nothing. */
function superseded(
  log: Logger,
  base: { unique_id: string; attempt: number },
  error: HostpayError,
): AttemptResult {
  log.warn('attempt_superseded', `delivery stopped: ${error.message}`, { error_code: error.code });
  return { ...base, status: 'superseded' };
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

/** Whether a stored transaction may still pay; a node that cannot answer counts as yes. */
async function stillPossible(deps: AttemptDeps, transactions: PayoutTransaction[]): Promise<boolean> {
  try {
    return await mayStillPay(deps.chain, transactions, { reorgSafeDepth: deps.config.reorgSafeDepth });
  } catch {
    return true;
  }
}
