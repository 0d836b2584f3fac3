/** What an attempt needs, handed in by the function adapters (STYLE.md rules 1, 2). */
import type { CloudTasksClient } from '@google-cloud/tasks';
import type { AssetTable } from '../assets.js';
import type { Config } from '../config.js';
import type { SqlClient } from '../db/index.js';
import type { Logger } from '../log.js';

export interface QueueDeps {
  readonly config: Config;
  readonly tasks: CloudTasksClient;
  readonly logger: Logger;
  /** Unix milliseconds; tests pass a fixed clock. */
  readonly now: () => number;
}

export interface LedgerDeps extends QueueDeps {
  readonly sql: SqlClient;
  readonly assets: AssetTable;
}
