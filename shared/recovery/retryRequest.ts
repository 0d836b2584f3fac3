/** The signed request that starts or resumes a payout from what the database holds (docs/architecture.md, "The flow"; docs/tokens.md). */
import type { FailedTransaction, Payout } from '../db/index.js';
import { HostpayError } from '../errors.js';
import { CONTEXTS, type PaymentRequest } from '../token/index.js';

const isContext = (value: string): value is PaymentRequest['context'] =>
  (CONTEXTS as readonly string[]).includes(value);

function context(value: string, uniqueId: string): PaymentRequest['context'] {
  if (!isContext(value)) {
    throw new HostpayError('INVALID_AMOUNT', `payout ${uniqueId} has no valid context (${value})`);
  }
  return value;
}

/**
 * Attempt 1 of a new cycle from the stored failure: the fields the upstream signed, a new
 * `first_attempt_at` (so every task name of the cycle is new) and the last error carried along. The
 * amount is the stored decimal, or the requested text kept in the details when it did not fit the column.
 * Throws INVALID_AMOUNT when neither is a finite number: such a request cannot be re-run.
 */
export function requestFromFailure(failure: FailedTransaction, nowSeconds: number): PaymentRequest {
  const requested = failure.lastErrorDetails?.requested_from_amount;
  const text = failure.fromAmount ?? (typeof requested === 'string' ? requested : null);
  const amount = text === null ? Number.NaN : Number(text);
  if (!Number.isFinite(amount)) {
    throw new HostpayError('INVALID_AMOUNT', `failure ${failure.uniqueId} has no stored amount to re-run`);
  }
  return {
    unique_id: failure.uniqueId,
    cn_api_id: failure.cnApiId,
    from_currency: failure.fromCurrency.toLowerCase(),
    from_network: failure.fromNetwork.toLowerCase(),
    from_amount: amount,
    payin_address: failure.payinAddress,
    context: context(failure.context, failure.uniqueId),
    timestamp: nowSeconds,
    attempt_count: 1,
    first_attempt_at: nowSeconds,
    last_error_code: failure.errorCode === '' ? null : failure.errorCode,
  };
}

/**
 * The payout's own request at `attempt`, in its current cycle (its stored `first_attempt_at`): what the
 * sweep hands back to retryPayment so the attempt resumes the payout instead of starting another.
 */
export function requestFromPayout(
  payout: Payout,
  params: { attempt: number; nowSeconds: number },
): PaymentRequest {
  const firstAt = payout.firstAttemptAt ?? payout.createdAt;
  return {
    unique_id: payout.uniqueId,
    cn_api_id: payout.cnApiId,
    from_currency: payout.currency.toLowerCase(),
    from_network: payout.network.toLowerCase(),
    from_amount: Number(payout.amountDecimal),
    payin_address: payout.recipient,
    context: context(payout.context, payout.uniqueId),
    timestamp: params.nowSeconds,
    attempt_count: params.attempt,
    first_attempt_at: Math.floor(firstAt.getTime() / 1000),
    last_error_code: payout.lastErrorCode,
  };
}
