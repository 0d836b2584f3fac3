/** hostpay's payment-failed layout (→ recordFailure and HostPay1 `/payment-failed`), docs/tokens.md. */
import * as v from 'valibot';
import { MAX_STRING_BYTES, TokenReader, TokenWriter, truncateUtf8 } from './binary.js';
import { type DecodeOptions, SIGNATURE_BYTES, seal, unwrap } from './signing.js';
import { verifyFields } from './verifyFields.js';

export const ERROR_MESSAGE_BYTES = MAX_STRING_BYTES;

/**
 * The smallest well-formed payment-failed token (five empty strings, two u32, signature). This layout is
 * hostpay's own, so it takes its own floor rather than the upstream's 52 bytes: a failure with short fields
 * must still be recorded.
 */
export const MIN_PAYMENT_FAILED_BYTES = 5 + 4 + 4 + SIGNATURE_BYTES;

export const PaymentFailedSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1, 'unique_id is empty')),
  cn_api_id: v.string(),
  error_code: v.pipe(v.string(), v.minLength(1, 'error_code is empty')),
  error_message: v.string(),
  attempt_count: v.pipe(v.number(), v.integer()),
  context: v.string(),
  timestamp: v.pipe(v.number(), v.integer()),
});

export type PaymentFailed = v.InferOutput<typeof PaymentFailedSchema>;

/** `error_message` is cut to 255 bytes on a character boundary; the caller has already removed secrets. */
export function encodePaymentFailed(
  fields: Omit<PaymentFailed, 'timestamp'>,
  options: { key: string; now: number },
): string {
  const payload = new TokenWriter()
    .str(fields.unique_id)
    .str(fields.cn_api_id)
    .str(fields.error_code)
    .str(truncateUtf8(fields.error_message, ERROR_MESSAGE_BYTES))
    .u32(fields.attempt_count)
    .str(fields.context)
    .u32(options.now)
    .bytes();
  return seal(payload, options.key, MIN_PAYMENT_FAILED_BYTES);
}

/** Reads and verifies a payment-failed token; same errors and order as `decodePaymentRequest`. */
export function decodePaymentFailed(token: string, options: DecodeOptions): PaymentFailed {
  const raw = unwrap(token, MIN_PAYMENT_FAILED_BYTES);
  const r = new TokenReader(raw);
  const fields = {
    unique_id: r.str('unique_id'),
    cn_api_id: r.str('cn_api_id'),
    error_code: r.str('error_code'),
    error_message: r.str('error_message'),
    attempt_count: r.u32('attempt_count'),
    context: r.str('context'),
    timestamp: r.u32('timestamp'),
  };
  return verifyFields('payment_failed', raw, r, fields, PaymentFailedSchema, options);
}
