/** The postgres.js pool a cold start creates once and hands to every data-access function. */
import type { Socket } from 'node:net';
import type { Connector, ConnectorOptions } from '@google-cloud/cloud-sql-connector';
import postgres from 'postgres';
import { HostpayError } from '../errors.js';
import { postgresConnection } from './databaseUrl.js';
import { withDatabaseErrors } from './sqlState.js';

/**
 * Where the pool connects. A URL (`sslmode` and `sslrootcert` honoured, see databaseUrl.ts), or a Cloud SQL
 * instance reached through `@google-cloud/cloud-sql-connector`: the connector fetches the instance's
 * address and CA and an ephemeral client certificate from the Cloud SQL Admin API, opens mutual TLS to the
 * instance's server-side proxy (port 3307) and, with IAM database authentication, the proxy logs `user` in
 * on the strength of the OAuth token that certificate was issued for: no password exists.
 */
export type DatabaseTarget =
  | string
  | {
      readonly cloudSqlInstance: string;
      readonly ipType: 'PRIVATE' | 'PUBLIC' | 'PSC';
      readonly user: string;
      readonly database: string;
      /** The connector's own options: its credentials (`auth`) and Admin API endpoint; defaults in production. */
      readonly connector?: ConnectorOptions;
    };

export interface SqlClientOptions {
  /** Pool size; a function instance serving one request at a time needs few. Default 5. */
  max?: number;
  connectTimeoutSeconds?: number;
  /** Bound on any one statement, and on waiting for a row lock (the wallet's nonce row). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/**
 * Opens a pool on `target` with every wait bounded (docs/architecture.md, "Time bounds"): connecting,
 * statements, row locks, and a transaction left idle by a crashed caller, which would otherwise hold the
 * wallet's nonce lock. Ending the pool also stops the connector's certificate refreshes.
 */
export function createSqlClient(target: DatabaseTarget, options: SqlClientOptions = {}): postgres.Sql {
  const connectTimeoutSeconds = options.connectTimeoutSeconds ?? 10;
  const common = {
    max: options.max ?? 5,
    connect_timeout: connectTimeoutSeconds,
    idle_timeout: 30,
    max_lifetime: 30 * 60,
    onnotice: () => undefined,
    connection: {
      application_name: 'hostpay',
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      lock_timeout: options.lockTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  };
  if (typeof target === 'string') {
    const { url, ssl } = postgresConnection(target);
    return postgres(url, { ...common, ...(ssl === undefined ? {} : { ssl }) });
  }
  let connector: Connector | undefined;
  let factory: Promise<() => Socket> | undefined;
  // One Admin API round per pool (the connector caches and refreshes it), retried after a failure.
  const streamFactory = () => {
    factory ??= (async () => {
      // Loaded in connector mode only: the package and its Admin API client add half a second to a cold start.
      const { AuthTypes, Connector, IpAddressTypes } = await import('@google-cloud/cloud-sql-connector');
      connector ??= new Connector(target.connector);
      const driver = await withTimeout(
        connector.getOptions({
          instanceConnectionName: target.cloudSqlInstance,
          ipType: IpAddressTypes[target.ipType],
          authType: AuthTypes.IAM,
        }),
        connectTimeoutSeconds * 1000,
        `the Cloud SQL connector did not get ${target.cloudSqlInstance}'s connection details`,
      );
      return driver.stream;
    })().catch((error: unknown) => {
      factory = undefined;
      throw error;
    });
    return factory;
  };
  // postgres.js calls `socket` for every connection it opens (its types omit the option).
  const socket = async () => (await streamFactory())();
  const sql = postgres({
    ...common,
    user: target.user,
    database: target.database,
    // The connector's socket is already TLS (to the instance's proxy), and IAM authentication needs no password.
    ssl: false,
    ...({ socket } as object),
  });
  const end = sql.end;
  return Object.assign(sql, {
    end: async (endOptions?: { timeout?: number }) => {
      try {
        return await end(endOptions);
      } finally {
        connector?.close();
      }
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostpayError('DATABASE_UNAVAILABLE', message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
