/** The token layouts an attempt reads and writes, bound to the configured keys and clock (docs/tokens.md). */
import type { Config } from '../config/index.js';
import type { Payout } from '../db/index.js';
import {
  decodePaymentFailed,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentFailed,
  encodePaymentRequest,
  isExpiredPaymentRequest,
  type PaymentFailed,
  type PaymentRequest,
  type SigningKeys,
} from '../token/index.js';

export type { PaymentFailed, PaymentRequest };

/** hostpay's payment-failed layout, less the timestamp the encoder adds. */
export type FailedFields = Omit<PaymentFailed, 'timestamp'>;

export type ReadRequest = { expired: boolean; request: PaymentRequest };

const seconds = (ms: number) => Math.floor(ms / 1000);

function keys(config: Config): SigningKeys {
  return { current: config.tokenSigningKey, previous: config.tokenSigningKeyPrevious };
}

/**
 * Verifies a payment request or retry token. An expired one with a valid signature comes back flagged, so
 * the attempt records it; a malformed or badly signed one throws.
 */
export function readRequestToken(config: Config, token: string, nowMs: number): ReadRequest {
  const freshness = {
    now: seconds(nowMs),
    maxAgeSeconds: config.tokenMaxAgeSeconds,
    maxFutureSeconds: config.tokenMaxFutureSeconds,
  };
  try {
    return { expired: false, request: decodePaymentRequest(token, { keys: keys(config), freshness }) };
  } catch (error) {
    if (isExpiredPaymentRequest(error)) return { expired: true, request: error.fields };
    throw error;
  }
}

/** A request already accepted once (recordFailure's copy): signature checked, age not. */
export function readVerifiedRequest(config: Config, token: string): PaymentRequest {
  return decodePaymentRequest(token, { keys: keys(config), freshness: null });
}

/**
 * hostpay's own failure token on its way to recordFailure: signature checked, age not, because the failure
 * queue may redeliver it hours later and a refused record would be a lost one.
 */
export function readVerifiedFailure(config: Config, token: string): PaymentFailed {
  return decodePaymentFailed(token, { keys: keys(config), freshness: null });
}

export function encodeRequestToken(config: Config, request: PaymentRequest, nowMs: number): string {
  return encodePaymentRequest(request, { key: config.tokenSigningKey, now: seconds(nowMs) });
}

export function encodeCompletedToken(config: Config, payout: Payout, nowMs: number): string {
  if (payout.confirmedTxHash === null || payout.confirmedBlockNumber === null) {
    throw new Error(`payout ${payout.uniqueId} is not confirmed`);
  }
  return encodePaymentCompleted(
    {
      unique_id: payout.uniqueId,
      cn_api_id: payout.cnApiId,
      tx_hash: payout.confirmedTxHash,
      tx_status: 'success',
      gas_used: payout.confirmedGasUsed ?? 0n,
      block_number: payout.confirmedBlockNumber,
    },
    { key: config.tokenSigningKey, now: seconds(nowMs) },
  );
}

export function encodeFailedToken(config: Config, fields: FailedFields, nowMs: number): string {
  return encodePaymentFailed(fields, { key: config.tokenSigningKey, now: seconds(nowMs) });
}
