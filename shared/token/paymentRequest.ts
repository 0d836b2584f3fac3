/** The payment request (HostPay1 → hostpay) and hostpay's retry token: one layout (docs/tokens.md). */
import * as v from 'valibot';
import { TokenReader, TokenWriter } from './binary.js';
import { type DecodeOptions, SIGNATURE_BYTES, seal, unwrap } from './signing.js';
import { TokenExpiredError, verifyFields } from './verifyFields.js';

export const CONTEXTS = ['instant', 'threshold', 'batch'] as const;
export type PaymentContext = (typeof CONTEXTS)[number];

const LOWER = /^[^A-Z]*$/;

/**
 * The decoded fields. Address checksum and amount sign or finiteness are not judged here: a signed request
 * with a bad address or amount is a recorded failure, not a bad token (docs/architecture.md, "Invariants and where they are enforced").
 */
export const PaymentRequestSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1, 'unique_id is empty'), v.maxLength(255)),
  cn_api_id: v.string(),
  from_currency: v.pipe(v.string(), v.regex(LOWER, 'from_currency is not lower case')),
  from_network: v.pipe(v.string(), v.regex(LOWER, 'from_network is not lower case')),
  // v.number() refuses NaN, which must reach the amount check as INVALID_AMOUNT.
  from_amount: v.custom<number>((value) => typeof value === 'number', 'from_amount is not a number'),
  payin_address: v.string(),
  context: v.picklist(CONTEXTS, 'context is not instant, threshold or batch'),
  timestamp: v.pipe(v.number(), v.integer()),
  attempt_count: v.pipe(v.number(), v.integer(), v.minValue(1, 'attempt_count is below 1')),
  first_attempt_at: v.pipe(v.number(), v.integer()),
  last_error_code: v.nullable(v.pipe(v.string(), v.minLength(1))),
});

export type PaymentRequest = v.InferOutput<typeof PaymentRequestSchema>;

/** What an encoder takes: the retry block fields default to a first attempt at `now`. */
export interface PaymentRequestInput {
  unique_id: string;
  cn_api_id: string;
  from_currency: string;
  from_network: string;
  from_amount: number;
  payin_address: string;
  context: string;
  attempt_count?: number;
  first_attempt_at?: number | null;
  last_error_code?: string | null;
}

export interface EncodeOptions {
  key: string;
  /** Unix seconds, written as the token's timestamp. */
  now: number;
  /** false writes HostPay1's layout, without the retry block. */
  retryBlock?: boolean;
}

// timestamp (4) + signature (16) right after `context` means no retry block.
const LEGACY_TAIL = 4 + SIGNATURE_BYTES;

/**
 * Writes a payment request the way the upstream encoder does: currency, network and context lower-cased,
 * `last_error_code` null as an empty string. Out-of-range fields are a RangeError.
 */
export function encodePaymentRequest(input: PaymentRequestInput, options: EncodeOptions): string {
  const w = new TokenWriter()
    .str(input.unique_id)
    .str(input.cn_api_id)
    .str(input.from_currency.toLowerCase())
    .str(input.from_network.toLowerCase())
    .f64(input.from_amount)
    .str(input.payin_address)
    .str(input.context.toLowerCase());
  if (options.retryBlock !== false) {
    w.u32(input.attempt_count ?? 1)
      .u32(input.first_attempt_at ?? options.now)
      .str(input.last_error_code ?? '');
  }
  return seal(w.u32(options.now).bytes(), options.key);
}

/** A retry token (vectors `retry_token_vector`): next attempt, first attempt kept, error set, fresh timestamp. */
export function encodeRetryToken(
  request: PaymentRequest,
  params: { errorCode: string; now: number; key: string },
): string {
  return encodePaymentRequest(
    { ...request, attempt_count: request.attempt_count + 1, last_error_code: params.errorCode },
    { key: params.key, now: params.now },
  );
}

/** True for the TOKEN_EXPIRED error of a genuinely signed payment request; `fields` is then the request. */
export function isExpiredPaymentRequest(error: unknown): error is TokenExpiredError<PaymentRequest> {
  return error instanceof TokenExpiredError && error.layout === 'payment_request';
}

/**
 * Reads and verifies a payment request or retry token: structure, signature, schema, freshness. Throws
 * TOKEN_MALFORMED, TOKEN_BAD_SIGNATURE, or a TokenExpiredError whose `fields` (also `details.request`) are
 * the verified request. Messages never contain the key or the token.
 */
export function decodePaymentRequest(token: string, options: DecodeOptions): PaymentRequest {
  const raw = unwrap(token);
  const r = new TokenReader(raw);
  const head = {
    unique_id: r.str('unique_id'),
    cn_api_id: r.str('cn_api_id'),
    from_currency: r.str('from_currency'),
    from_network: r.str('from_network'),
    from_amount: r.f64('from_amount'),
    payin_address: r.str('payin_address'),
  };
  // A token from before `context` existed ends right after the address.
  const context = r.remaining === LEGACY_TAIL ? 'instant' : r.str('context');
  let retry: { attempt_count: number; first_attempt_at: number | null; last_error_code: string | null } = {
    attempt_count: 1,
    first_attempt_at: null,
    last_error_code: null,
  };
  if (r.remaining !== LEGACY_TAIL) {
    const attempt_count = r.u32('attempt_count');
    const first_attempt_at = r.u32('first_attempt_at');
    const code = r.str('last_error_code');
    retry = { attempt_count, first_attempt_at, last_error_code: code === '' ? null : code };
  }
  const timestamp = r.u32('timestamp');
  const fields = {
    ...head,
    context,
    timestamp,
    attempt_count: retry.attempt_count,
    first_attempt_at: retry.first_attempt_at ?? timestamp,
    last_error_code: retry.last_error_code,
  };
  return verifyFields('payment_request', raw, r, fields, PaymentRequestSchema, options, (request) => ({
    request,
  }));
}
