/** Signing, verification, freshness and the text form of tokens (docs/tokens.md). */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HostpayError } from '../errors.js';

export const SIGNATURE_BYTES = 16;
/** The upstream's floor: a raw token under this length is "too small" (docs/tokens.md, "Common rules"). */
export const MIN_TOKEN_BYTES = 52;
export const DEFAULT_MAX_AGE_SECONDS = 7200;
export const DEFAULT_MAX_FUTURE_SECONDS = 5;

/** The current signing key and, during a rotation, the previous one. */
export interface SigningKeys {
  current: string;
  previous?: string | undefined;
}

/** The freshness window: `now - maxAgeSeconds <= timestamp <= now + maxFutureSeconds`. */
export interface Freshness {
  /** Unix seconds. */
  now: number;
  maxAgeSeconds?: number | undefined;
  maxFutureSeconds?: number | undefined;
}

/** What every decoder takes. */
export interface DecodeOptions {
  keys: SigningKeys;
  /** null skips the freshness check (a record of an already verified, possibly old, token). */
  freshness: Freshness | null;
}

/** HMAC-SHA256 of `payload` under the UTF-8 bytes of `key`, first 16 bytes. */
export function sign(payload: Buffer, key: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(payload).digest().subarray(0, SIGNATURE_BYTES);
}

/**
 * Appends the signature and returns URL-safe base64 without padding. Refuses (RangeError) to write a token
 * under `minBytes`, which its own decoder would call too small.
 */
export function seal(payload: Buffer, key: string, minBytes = MIN_TOKEN_BYTES): string {
  const size = payload.length + SIGNATURE_BYTES;
  if (size < minBytes) throw new RangeError(`token of ${size} bytes is under the ${minBytes}-byte floor`);
  return Buffer.concat([payload, sign(payload, key)]).toString('base64url');
}

/** True when `signature` matches `payload` under either key, compared in constant time. */
export function verify(payload: Buffer, signature: Buffer, keys: SigningKeys): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  let ok = false;
  for (const key of [keys.current, keys.previous]) {
    // Both keys are always checked so timing does not tell which one matched.
    if (key !== undefined && timingSafeEqual(sign(payload, key), signature)) ok = true;
  }
  return ok;
}

// Padding and the standard alphabet are accepted like the upstream decoder; anything else is refused.
const BASE64 = /^[A-Za-z0-9_+/-]*={0,2}$/;

/** Raw bytes of a token's text form; refuses what is not base64 and what is under `minBytes`. */
export function unwrap(token: string, minBytes = MIN_TOKEN_BYTES): Buffer {
  // A JSON body may carry anything in `token`; only a string can be one.
  const text = typeof token === 'string' ? token.trim() : '=';
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new HostpayError('TOKEN_MALFORMED', 'token is not URL-safe base64');
  }
  const raw = Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (raw.length < minBytes) {
    throw new HostpayError('TOKEN_MALFORMED', 'token too small', { details: { bytes: raw.length } });
  }
  return raw;
}

/** Checks that exactly a signature follows `signatureOffset` and that it matches either key. */
export function checkSignature(raw: Buffer, signatureOffset: number, keys: SigningKeys): void {
  if (raw.length - signatureOffset !== SIGNATURE_BYTES) {
    throw new HostpayError('TOKEN_MALFORMED', 'token has the wrong signature size', {
      details: { signatureBytes: raw.length - signatureOffset },
    });
  }
  if (!verify(raw.subarray(0, signatureOffset), raw.subarray(signatureOffset), keys)) {
    throw new HostpayError('TOKEN_BAD_SIGNATURE', 'token signature matches no configured key');
  }
}

/** True when `timestamp` lies in the freshness window, both ends included. */
export function isFresh(timestamp: number, freshness: Freshness): boolean {
  const maxAge = freshness.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const maxFuture = freshness.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  return timestamp >= freshness.now - maxAge && timestamp <= freshness.now + maxFuture;
}
