/** hostpay's payment-failed layout (→ recordFailure and HostPay1 `/payment-failed`), DESIGN.md §6. */
import * as v from 'valibot';
import { HostpayError } from '../errors.js';
import { TokenReader, TokenWriter, truncateUtf8 } from './binary.js';
import { checkSignature, type Freshness, isFresh, type SigningKeys, seal, unwrap } from './signing.js';

export const ERROR_MESSAGE_BYTES = 255;

export const PaymentFailedSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1)),
  cn_api_id: v.string(),
  error_code: v.pipe(v.string(), v.minLength(1)),
  error_message: v.string(),
  attempt_count: v.pipe(v.number(), v.integer()),
  context: v.string(),
  timestamp: v.number(),
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
  return seal(payload, options.key);
}

export function decodePaymentFailed(
  token: string,
  options: { keys: SigningKeys; freshness: Freshness | null },
): PaymentFailed {
  const raw = unwrap(token);
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
  checkSignature(raw, r.position, options.keys);
  const parsed = v.safeParse(PaymentFailedSchema, fields);
  if (!parsed.success)
    throw new HostpayError('TOKEN_MALFORMED', `token fields invalid: ${parsed.issues[0].message}`);
  if (options.freshness !== null && !isFresh(fields.timestamp, options.freshness)) {
    throw new HostpayError('TOKEN_EXPIRED', 'token timestamp is outside the freshness window');
  }
  return parsed.output;
}
