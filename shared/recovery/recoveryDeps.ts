/** What the recovery operations need: the ledger and the retry queue (docs/architecture.md, "The flow" and "Database"). */
import type { QueueDeps } from '../attempt/types.js';
import type { SqlClient } from '../db/index.js';

export interface RecoveryDeps extends QueueDeps {
  readonly sql: SqlClient;
}
