/** The signed token codec (DESIGN.md §6; layouts in docs/tokens.md). */
export { truncateUtf8 } from './binary.js';
export * from './paymentCompleted.js';
export * from './paymentFailed.js';
export * from './paymentRequest.js';
export { type Freshness, MIN_TOKEN_BYTES, SIGNATURE_BYTES, type SigningKeys } from './signing.js';
