/** The database layer (docs/architecture.md, "Invariants and where they are enforced", "The flow" and "Database"): every data-access function takes a postgres.js client first. */
export * from './allocateNonce.js';
export * from './claimPayout.js';
export { inTransaction, type SqlClient } from './client.js';
export * from './createSqlClient.js';
export * from './failedTransactionRow.js';
export * from './failedTransactionStatus.js';
export * from './getPayout.js';
export * from './insertFailedTransaction.js';
export * from './listFailedTransactions.js';
export * from './listPayouts.js';
export * from './payoutLease.js';
export * from './payoutRow.js';
export * from './payoutStatus.js';
export * from './payoutTransactionRow.js';
export * from './payoutTransactions.js';
export * from './sqlState.js';
