/** The shapes of an attempt in one place: what the function adapters hand in, and what a delivery answers. */
import type { CloudTasksClient } from '@google-cloud/tasks';
import type { AssetTable } from '../assets.js';
import type { ChainClient } from '../chain/index.js';
import type { Config } from '../config/index.js';
import type { SqlClient } from '../db/index.js';
import type { Logger } from '../log/index.js';

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

export interface ChainDeps {
  readonly chain: ChainClient;
}

export type AttemptDeps = LedgerDeps & ChainDeps;

/** The answers of a delivery, each with HTTP 200: the delivery was handled, whatever the payout's fate. */
export type AttemptStatus =
  | 'success'
  | 'already_completed'
  | 'in_progress'
  | 'skipped'
  | 'pending_confirmation'
  | 'retry_scheduled'
  | 'failed'
  | 'cancelled'
  | 'superseded';

export interface AttemptResult {
  status: AttemptStatus;
  unique_id: string;
  attempt?: number;
  tx_hash?: string;
  error_code?: string;
  retry_in_seconds?: number;
}
