/** The payment request (HostPay1 → hostpay) and hostpay's retry token: one layout (vectors README). */
import * as v from 'valibot';
import { HostpayError } from '../errors.js';
import { TokenReader, TokenWriter } from './binary.js';
import {
  checkSignature,
  type Freshness,
  isFresh,
  SIGNATURE_BYTES,
  type SigningKeys,
  seal,
  unwrap,
} from './signing.js';

export const CONTEXTS = ['instant', 'threshold', 'batch'] as const;

const LOWER = /^[^A-Z]*$/;

/** The decoded fields; a legacy token without the retry block reads as attempt 1 with no error. */
export const PaymentRequestSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1, 'unique_id is empty')),
  cn_api_id: v.string(),
  from_currency: v.pipe(v.string(), v.regex(LOWER, 'from_currency is not lower case')),
  from_network: v.pipe(v.string(), v.regex(LOWER, 'from_network is not lower case')),
  // Any double, NaN included: a signed request with a bad amount is a recorded failure, not a bad token.
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

export interface DecodeOptions {
  keys: SigningKeys;
  /** null skips the freshness check (a failure record of an already verified, possibly old, request). */
  freshness: Freshness | null;
}

/**
 * Reads and verifies a payment request: structure, then signature, then schema, then freshness. Throws
 * TOKEN_MALFORMED, TOKEN_BAD_SIGNATURE, or TOKEN_EXPIRED carrying the verified fields in `details.request`
 * (a genuinely signed request is recorded, not dropped). Messages never contain the key or the token.
 */
export function decodePaymentRequest(token: string, options: DecodeOptions): PaymentRequest {
  const raw = unwrap(token);
  const r = new TokenReader(raw);
  const unique_id = r.str('unique_id');
  const cn_api_id = r.str('cn_api_id');
  const from_currency = r.str('from_currency');
  const from_network = r.str('from_network');
  const from_amount = r.f64('from_amount');
  const payin_address = r.str('payin_address');
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
  checkSignature(raw, r.position, options.keys);
  const parsed = v.safeParse(PaymentRequestSchema, {
    unique_id,
    cn_api_id,
    from_currency,
    from_network,
    from_amount,
    payin_address,
    context,
    timestamp,
    attempt_count: retry.attempt_count,
    first_attempt_at: retry.first_attempt_at ?? timestamp,
    last_error_code: retry.last_error_code,
  });
  if (!parsed.success) {
    throw new HostpayError('TOKEN_MALFORMED', `token fields invalid: ${parsed.issues[0].message}`);
  }
  if (options.freshness !== null && !isFresh(timestamp, options.freshness)) {
    throw new HostpayError('TOKEN_EXPIRED', 'token timestamp is outside the freshness window', {
      details: { request: parsed.output },
    });
  }
  return parsed.output;
}
