/** What the recovery operations need: the ledger and the retry queue (DESIGN.md §2, §7). */
import type { QueueDeps } from '../attempt/types.js';
import type { SqlClient } from '../db/index.js';

export interface RecoveryDeps extends QueueDeps {
  readonly sql: SqlClient;
}
