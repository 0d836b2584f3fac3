/** The signed token codec (docs/tokens.md; layouts in docs/tokens.md). */
export { MAX_STRING_BYTES, truncateUtf8 } from './binary.js';
export * from './paymentCompleted.js';
export * from './paymentFailed.js';
export * from './paymentRequest.js';
export {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_FUTURE_SECONDS,
  type DecodeOptions,
  type Freshness,
  MIN_TOKEN_BYTES,
  SIGNATURE_BYTES,
  type SigningKeys,
} from './signing.js';
export { TokenExpiredError, type TokenLayout } from './verifyFields.js';
