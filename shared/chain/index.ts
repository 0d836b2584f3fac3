/** Chain access (docs/architecture.md, "Module map"): small functions taking a `ChainClient` first; plain RPC, no database. */
export * from './balances.js';
export * from './broadcast.js';
export * from './client.js';
export * from './erc20.js';
export * from './erc20.js';
export * from './fees.js';
export * from './gas.js';
export * from './nonce.js';
export * from './preflight.js';
export * from './receipt.js';
export * from './receipt.js';
export * from './recipient.js';
export * from './replace.js';
export * from './sign.js';
export * from './transfer.js';
