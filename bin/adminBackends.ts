/**
 * Where `hostpay failed` and `hostpay payouts` send their requests: the admin API over HTTP, or the same
 * route table in process over the database (`shared/admin/routes.ts`), so both answer alike.
 */
import { dispatchAdmin } from '../shared/admin/routes.js';
import { loadConfig } from '../shared/config/index.js';
import { createSqlClient } from '../shared/db/createSqlClient.js';
import { createLogger } from '../shared/log/index.js';
import { createTasksClient } from '../shared/tasks/createTasksClient.js';

/** An answer as the admin API gives it: HTTP status and JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export interface AdminBackend {
  payouts(query: Record<string, string>): Promise<Answer>;
  payout(key: string): Promise<Answer>;
  list(query: Record<string, string>): Promise<Answer>;
  show(uniqueId: string): Promise<Answer>;
  retry(uniqueId: string, body: { force?: boolean; notes?: string }): Promise<Answer>;
  setStatus(
    uniqueId: string,
    body: { status: string; admin_notes?: string; recovery_tx_hash?: string },
  ): Promise<Answer>;
  close(): Promise<void>;
}

type Call = (method: string, path: string, query: Record<string, string>, body?: unknown) => Promise<Answer>;

/** The operator operations as requests, whatever carries them. */
function operations(call: Call): Omit<AdminBackend, 'close'> {
  const id = (uniqueId: string) => `/failed-transactions/${encodeURIComponent(uniqueId)}`;
  return {
    payouts: (query) => call('GET', '/payouts', query),
    payout: (key) => call('GET', `/payouts/${encodeURIComponent(key)}`, {}),
    list: (query) => call('GET', '/failed-transactions', query),
    show: (uniqueId) => call('GET', id(uniqueId), {}),
    retry: (uniqueId, body) => call('POST', `${id(uniqueId)}/retry`, {}, body),
    setStatus: (uniqueId, body) => call('PUT', `${id(uniqueId)}/status`, {}, body),
  };
}

/** The admin API at `baseUrl`; `idToken` gives the ID token IAM and adminApi check (none for the local stack). */
export function apiBackend(params: {
  baseUrl: string;
  operator: string;
  idToken?: () => Promise<string>;
}): AdminBackend {
  const base = params.baseUrl.replace(/\/+$/, '');
  const call: Call = async (method, path, query, body) => {
    const token = params.idToken ? await params.idToken() : undefined;
    const search = Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    const response = await fetch(`${base}${path}${search}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-operator': params.operator,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { status: response.status, body: { error: 'not_json', message: text.slice(0, 300) } };
    }
  };
  return { ...operations(call), close: async () => undefined };
}

/**
 * The database at `databaseUrl`, through adminApi's route table. A change (retry, status) also needs the
 * retry queue and the signing key: the recoverPayments settings are read from `env` when one is asked for.
 */
export function databaseBackend(params: {
  databaseUrl: string;
  operator: string;
  env: Readonly<Record<string, string | undefined>>;
}): AdminBackend {
  const sql = createSqlClient(params.databaseUrl, { max: 2 });
  let tasks: ReturnType<typeof createTasksClient> | undefined;
  const writeDeps = async () => {
    const config = await loadConfig(
      { ...params.env, DATABASE_URL: params.databaseUrl },
      { functionName: 'recoverPayments' },
    );
    tasks ??= createTasksClient(config.tasksEmulatorHost ? { emulatorHost: config.tasksEmulatorHost } : {});
    const logger = createLogger({ secrets: config.secretValues, write: () => undefined });
    return { sql, tasks, config, logger, now: Date.now };
  };
  const logger = createLogger({ write: () => undefined });
  const call: Call = (method, path, query, body) =>
    dispatchAdmin(
      { sql, now: Date.now },
      writeDeps,
      { method, path, query, body, actor: params.operator },
      logger,
    );
  return {
    ...operations(call),
    close: async () => {
      await Promise.allSettled([sql.end({ timeout: 5 }), tasks?.close()]);
    },
  };
}
