/** The postgres.js pool a cold start creates once and hands to every data-access function (STYLE.md rule 2). */
import postgres from 'postgres';
import { HostpayError } from '../errors.js';
import { withDatabaseErrors } from './sqlState.js';

export interface SqlClientOptions {
  /** Pool size; a function instance serving one request at a time needs few. Default 5. */
  max?: number;
  connectTimeoutSeconds?: number;
  /** Bound on any one statement, and on waiting for a row lock (the wallet's nonce row). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/**
 * Opens a pool on `databaseUrl` with every wait bounded (DESIGN §3.6): connecting, statements, row locks,
 * and a transaction left idle by a crashed caller, which would otherwise hold the wallet's nonce lock.
 */
export function createSqlClient(databaseUrl: string, options: SqlClientOptions = {}): postgres.Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 5,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 30,
    max_lifetime: 30 * 60,
    onnotice: () => undefined,
    connection: {
      application_name: 'hostpay',
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      lock_timeout: options.lockTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  });
}

/** One round trip for `/health`; DATABASE_UNAVAILABLE when the database cannot answer within `timeoutMs`. */
export function pingDatabase(sql: postgres.Sql, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  return withDatabaseErrors(async () => {
    const query = sql`SELECT 1`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        query.cancel();
        reject(new HostpayError('DATABASE_UNAVAILABLE', `database did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  });
}
