/** One run of the recovery job (docs/architecture.md, "The flow"): reconcile recovered payouts, retry transient failures, sweep. */
import { listFailedTransactions, listRetryableFailures } from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import type { Logger } from '../log/index.js';
import { reconcileRecovered } from './reconcileRecovered.js';
import type { RecoveryDeps } from './recoveryDeps.js';
import { isRetryableCode, retryFailure } from './retryFailure.js';
import {
  type RequeuedFailure,
  requeueUnrecordedFailures,
  type SweptPayout,
  sweepStuckPayouts,
} from './sweepStuckPayouts.js';

export const RECOVERY_ACTOR = 'recoverPayments';

export interface RecoverySummary {
  /** Failures moved to `recovered` because their retry confirmed. */
  recovered: { unique_id: string; tx_hash: string | null }[];
  /** Failures put on the retry queue for a new attempt cycle. */
  retried: string[];
  /** Failures left alone this run, with why (a transaction that may still be mined, a status change...). */
  skipped: { unique_id: string; reason: string }[];
  /** Stuck ledger payouts handed back to retryPayment. */
  swept: SweptPayout[];
  /** Failed ledger payouts with no failure record, handed to recordFailure again. */
  failures_requeued: RequeuedFailure[];
}

/**
 * Each step is bounded by `recoveryBatchSize`. Automated retries only take `failed_retryable` failures with
 * a transient code, after `recoveryCooldownSeconds` since the last try, at most
 * `recoveryMaxAutomatedRetries` times each; an operator retry counts too. A refusal skips that failure;
 * a database or queue failure stops the run (the next scheduled run picks up where this one stopped).
 */
export async function runRecovery(deps: RecoveryDeps, params: { logger: Logger }): Promise<RecoverySummary> {
  const { config } = deps;
  const limit = config.recoveryBatchSize;
  const summary: RecoverySummary = {
    recovered: [],
    retried: [],
    skipped: [],
    swept: [],
    failures_requeued: [],
  };

  const retrying = await listFailedTransactions(deps.sql, {
    status: ['retry_scheduled', 'retry_in_progress'],
    limit,
  });
  for (const failure of retrying.items) {
    const result = await reconcileRecovered(deps.sql, { failure, recoveredBy: RECOVERY_ACTOR });
    if (result.recovered) {
      summary.recovered.push({ unique_id: failure.uniqueId, tx_hash: result.failure.recoveryTxHash });
      params.logger.notice('failure_recovered', `failed payout ${failure.uniqueId} recovered`, {
        unique_id: failure.uniqueId,
        tx_hash: result.failure.recoveryTxHash ?? undefined,
      });
    }
  }

  const due = await listRetryableFailures(deps.sql, {
    limit,
    cooldownSeconds: config.recoveryCooldownSeconds,
    maxRetries: config.recoveryMaxAutomatedRetries,
  });
  for (const failure of due) {
    if (!isRetryableCode(failure.errorCode)) {
      summary.skipped.push({ unique_id: failure.uniqueId, reason: `${failure.errorCode} is not transient` });
      continue;
    }
    try {
      await retryFailure(deps, {
        uniqueId: failure.uniqueId,
        actor: RECOVERY_ACTOR,
        expectedStatus: 'failed_retryable',
        notes: `automated retry ${failure.retryCount + 1} of ${config.recoveryMaxAutomatedRetries}`,
      });
      summary.retried.push(failure.uniqueId);
      params.logger.info('recovery_retry_scheduled', `automated retry of ${failure.uniqueId}`, {
        unique_id: failure.uniqueId,
        error_code: failure.errorCode,
        retry: failure.retryCount + 1,
      });
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      summary.skipped.push({ unique_id: failure.uniqueId, reason: error.reason });
    }
  }

  summary.swept = await sweepStuckPayouts(deps, { limit });
  for (const swept of summary.swept.filter((s) => s.created)) {
    params.logger.warn(
      'payout_requeued',
      `stuck payout ${swept.unique_id} (${swept.status}) put back on the retry queue`,
      {
        unique_id: swept.unique_id,
        attempt: swept.attempt,
        status: swept.status,
      },
    );
  }
  summary.failures_requeued = await requeueUnrecordedFailures(deps, { limit });
  for (const requeued of summary.failures_requeued.filter((r) => r.created)) {
    params.logger.warn(
      'failure_requeued',
      `failed payout ${requeued.unique_id} had no failure record; handed to recordFailure again`,
      { unique_id: requeued.unique_id, error_code: requeued.error_code },
    );
  }
  return summary;
}
