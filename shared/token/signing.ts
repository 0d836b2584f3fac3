/** Signing, verification and the text form of tokens (DESIGN.md §6). */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HostpayError } from '../errors.js';

export const SIGNATURE_BYTES = 16;
/** Below this raw length a token cannot hold the smallest layout ("too small"). */
export const MIN_TOKEN_BYTES = 52;

/** The current signing key and, during a rotation, the previous one. */
export interface SigningKeys {
  current: string;
  previous?: string | undefined;
}

/** The freshness window: `now - maxAgeSeconds <= timestamp <= now + maxFutureSeconds`. */
export interface Freshness {
  /** Unix seconds. */
  now: number;
  maxAgeSeconds?: number;
  maxFutureSeconds?: number;
}

export function sign(payload: Buffer, key: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(payload).digest().subarray(0, SIGNATURE_BYTES);
}

/** Appends the signature and returns URL-safe base64 without padding. */
export function seal(payload: Buffer, key: string): string {
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

// The upstream decoder accepts padding and the standard alphabet; anything else is refused.
const BASE64 = /^[A-Za-z0-9_+/-]*={0,2}$/;

/** Raw bytes of a token's text form; refuses what is not base64 and what is too small to be a token. */
export function unwrap(token: string): Buffer {
  const text = token.trim();
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new HostpayError('TOKEN_MALFORMED', 'token is not URL-safe base64');
  }
  const raw = Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (raw.length < MIN_TOKEN_BYTES) throw new HostpayError('TOKEN_MALFORMED', 'token too small');
  return raw;
}

/** Checks that exactly a signature follows `signatureOffset` and that it matches either key. */
export function checkSignature(raw: Buffer, signatureOffset: number, keys: SigningKeys): void {
  if (raw.length - signatureOffset !== SIGNATURE_BYTES) {
    throw new HostpayError('TOKEN_MALFORMED', 'token has the wrong signature size');
  }
  if (!verify(raw.subarray(0, signatureOffset), raw.subarray(signatureOffset), keys)) {
    throw new HostpayError('TOKEN_BAD_SIGNATURE', 'token signature does not match');
  }
}

/** True when `timestamp` lies in the freshness window. */
export function isFresh(timestamp: number, freshness: Freshness): boolean {
  const maxAge = freshness.maxAgeSeconds ?? 7200;
  const maxFuture = freshness.maxFutureSeconds ?? 5;
  return timestamp >= freshness.now - maxAge && timestamp <= freshness.now + maxFuture;
}
