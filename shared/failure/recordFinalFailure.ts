/** recordFailure's work: store the final failure, alert, tell the upstream (docs/architecture.md, "The flow" and "Invariants and where they are enforced"). */
import type { IncomingWebhook } from '@slack/webhook';
import { enqueueFailedNotice } from '../attempt/schedule.js';
import { readVerifiedFailure, readVerifiedRequest } from '../attempt/tokens.js';
import type { QueueDeps } from '../attempt/types.js';
import type { ConfigFor } from '../config/index.js';
import type { SqlClient } from '../db/index.js';
import { insertFailedTransaction, listPayoutTransactions } from '../db/index.js';
import { ERROR_CODES, HostpayError, isErrorCode } from '../errors.js';
import { consolePayoutUrl, explorerTransactionUrl } from '../explorer.js';
import { RequestError } from '../http/requestError.js';
import type { Logger } from '../log/index.js';
import { decimalFromDouble } from '../money.js';
import { postSlackAlert } from './slackAlert.js';

export interface FailureDeps extends QueueDeps<ConfigFor<'recordFailure'>> {
  readonly sql: SqlClient;
  readonly slack: IncomingWebhook | undefined;
}

export interface FailureRecordResult {
  status: 'recorded' | 'already_recorded';
  unique_id: string;
  error_code: string;
}

/**
 * Records `{request, failure}` (both signed by hostpay or the upstream) in failed_transactions once, then
 * raises the ERROR event the alert policies count, posts to Slack (its failure never blocks the rest) and
 * queues the payment-failed notice. A repeat delivery changes nothing and alerts no one twice.
 */
export async function recordFinalFailure(
  deps: FailureDeps,
  params: { body: Record<string, unknown>; logger: Logger },
): Promise<FailureRecordResult> {
  const { request: requestToken, failure: failureToken } = params.body;
  if (typeof requestToken !== 'string' || typeof failureToken !== 'string') {
    throw new RequestError(400, 'missing_token', 'body must carry the signed "request" and "failure" tokens');
  }
  const { request, failure } = readTokens(deps, params.logger, requestToken, failureToken);
  if (request.unique_id !== failure.unique_id) {
    throw new RequestError(400, 'token_mismatch', 'the failure and the request name different payouts');
  }
  const log = params.logger.child({
    unique_id: request.unique_id,
    context: request.context,
    error_code: failure.error_code,
  });
  const retryable = isErrorCode(failure.error_code) && ERROR_CODES[failure.error_code].retryable;
  const recorded = await insertFailedTransaction(deps.sql, {
    uniqueId: request.unique_id,
    cnApiId: request.cn_api_id,
    fromCurrency: request.from_currency,
    fromNetwork: request.from_network,
    fromAmount: amountText(request.from_amount),
    payinAddress: request.payin_address,
    context: request.context,
    errorCode: failure.error_code,
    errorMessage: failure.error_message,
    lastErrorDetails: {
      last_error_code: request.last_error_code,
      first_attempt_at: request.first_attempt_at,
    },
    attemptCount: failure.attempt_count,
    status: retryable ? 'failed_retryable' : 'failed_pending_review',
  });
  const fresh = recorded.outcome !== 'unchanged';
  if (fresh) {
    log.error(
      'payment_failed_permanently',
      `payout ${request.unique_id} failed permanently: ${failure.error_code}`,
      {
        attempt: failure.attempt_count,
        currency: request.from_currency,
        retryable,
      },
    );
    if (deps.slack) {
      const transactions = await listPayoutTransactions(deps.sql, { uniqueId: request.unique_id });
      const slack = await postSlackAlert(deps.slack, {
        uniqueId: request.unique_id,
        errorCode: failure.error_code,
        errorMessage: failure.error_message,
        context: request.context,
        currency: request.from_currency,
        amount: amountText(request.from_amount) ?? 'unreadable amount',
        attemptCount: failure.attempt_count,
        transactions: transactions.map((t) => ({
          hash: t.hash,
          kind: t.kind,
          status: t.status,
          explorerUrl: explorerTransactionUrl(t.chainId, t.hash),
        })),
        consoleUrl: deps.config.consoleUrl && consolePayoutUrl(deps.config.consoleUrl, request.unique_id),
      });
      if (!slack.delivered)
        log.warn('slack_alert_failed', 'Slack did not take the alert', { error: slack.error });
    }
    log.info('failure_recorded', `failed_transactions row ${recorded.outcome}`, {
      status: recorded.row.status,
    });
  }
  const failureFields = { errorCode: failure.error_code, errorMessage: failure.error_message };
  const notice = await enqueueFailedNotice(deps, { request, failure: failureFields });
  if (notice.created) log.info('upstream_notified', `payment-failed queued for ${request.unique_id}`);
  return {
    status: fresh ? 'recorded' : 'already_recorded',
    unique_id: request.unique_id,
    error_code: failure.error_code,
  };
}

function readTokens(deps: FailureDeps, logger: Logger, requestToken: string, failureToken: string) {
  try {
    return {
      request: readVerifiedRequest(deps.config, requestToken),
      failure: readVerifiedFailure(deps.config, failureToken),
    };
  } catch (error) {
    if (!(error instanceof HostpayError)) throw error;
    logger.error('token_rejected', `failure task refused: ${error.message}`, { error_code: error.code });
    throw new RequestError(
      error.code === 'TOKEN_BAD_SIGNATURE' ? 401 : 400,
      error.code.toLowerCase(),
      error.message,
    );
  }
}

function amountText(amount: number): string | null {
  try {
    return decimalFromDouble(amount);
  } catch {
    return null;
  }
}
