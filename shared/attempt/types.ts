/** The shapes of an attempt in one place: what the function adapters hand in, and what a delivery answers. */
import type { CloudTasksClient } from '@google-cloud/tasks';
import type { AssetTable } from '../assets.js';
import type { ChainClient } from '../chain/index.js';
import type { Config, ConfigFor } from '../config/index.js';
import type { SqlClient } from '../db/index.js';
import type { Logger } from '../log/index.js';

/** What handing work on needs: the settings (of function `C`'s kind), the queue client, the logger, the clock. */
export interface QueueDeps<C extends Config = Config> {
  readonly config: C;
  readonly tasks: CloudTasksClient;
  readonly logger: Logger;
  /** Unix milliseconds; tests pass a fixed clock. */
  readonly now: () => number;
}

/** The configuration of every function that runs the payout engine: the attempts, and adminApi's cancel. */
export type EngineConfig = ConfigFor<'executePayment' | 'retryPayment' | 'adminApi'>;

/** The attempt functions' configuration: also the payment caps a new request is checked against. */
export type AttemptConfig = ConfigFor<'executePayment' | 'retryPayment'>;

export interface LedgerDeps<C extends EngineConfig = EngineConfig> extends QueueDeps<C> {
  readonly sql: SqlClient;
  readonly assets: AssetTable;
}

export interface ChainDeps {
  readonly chain: ChainClient;
}

export type AttemptDeps<C extends EngineConfig = EngineConfig> = LedgerDeps<C> & ChainDeps;

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
