/** What the recovery operations need: the ledger and the queues (docs/architecture.md, "Operators"). */
import type { QueueDeps } from '../attempt/types.js';
import type { ConfigFor } from '../config/index.js';
import type { SqlClient } from '../db/index.js';

/** The settings both adminApi and recoverPayments are given: the retry and failure queues, the signing key. */
export type RecoveryConfig = ConfigFor<'adminApi' | 'recoverPayments'>;

export interface RecoveryDeps extends QueueDeps<RecoveryConfig> {
  readonly sql: SqlClient;
}
