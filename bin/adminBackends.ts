/** Where `hostpay failed` and `hostpay payouts` send their requests: the admin API over HTTP, or the database directly. */
import { loadConfig } from '../shared/config.js';
import { createSqlClient } from '../shared/db/createSqlClient.js';
import { listPayouts } from '../shared/db/index.js';
import { RequestError } from '../shared/http/requestError.js';
import { RetryBodySchema, readAdminBody, StatusBodySchema } from '../shared/recovery/adminBody.js';
import { listFailures, parseListQuery } from '../shared/recovery/listFailures.js';
import { parsePayoutsQuery, showPayout } from '../shared/recovery/payouts.js';
import { Refusal } from '../shared/recovery/refusal.js';
import { retryFailure } from '../shared/recovery/retryFailure.js';
import { showFailure } from '../shared/recovery/showFailure.js';
import { failureJson, payoutJson, transactionJson } from '../shared/recovery/toJson.js';
import { updateFailureStatus } from '../shared/recovery/updateFailureStatus.js';
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

/** The admin API at `baseUrl`; `idToken` gives the ID token IAM and adminApi check (none for the local stack). */
export function apiBackend(params: {
  baseUrl: string;
  operator: string;
  idToken?: () => Promise<string>;
}): AdminBackend {
  const base = params.baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const token = params.idToken ? await params.idToken() : undefined;
    const response = await fetch(`${base}${path}`, {
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
  const id = (uniqueId: string) => `/failed-transactions/${encodeURIComponent(uniqueId)}`;
  return {
    payouts: (query) => call('GET', `/payouts?${new URLSearchParams(query).toString()}`),
    payout: (key) => call('GET', `/payouts/${encodeURIComponent(key)}`),
    list: (query) => call('GET', `/failed-transactions?${new URLSearchParams(query).toString()}`),
    show: (uniqueId) => call('GET', id(uniqueId)),
    retry: (uniqueId, body) => call('POST', `${id(uniqueId)}/retry`, body),
    setStatus: (uniqueId, body) => call('PUT', `${id(uniqueId)}/status`, body),
    close: async () => undefined,
  };
}

/**
 * The database at `databaseUrl`, through the same recovery operations the admin API runs. A retry also
 * needs the retry queue and the signing key: they come from `env` as for recoverPayments.
 */
export function databaseBackend(params: {
  databaseUrl: string;
  operator: string;
  env: Readonly<Record<string, string | undefined>>;
}): AdminBackend {
  const sql = createSqlClient(params.databaseUrl, { max: 2 });
  let tasks: ReturnType<typeof createTasksClient> | undefined;
  const answer = async (work: () => Promise<Record<string, unknown>>, status = 200): Promise<Answer> => {
    try {
      return { status, body: await work() };
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      const details = error instanceof Refusal ? error.details : {};
      return { status: error.status, body: { error: error.reason, message: error.message, ...details } };
    }
  };
  return {
    payouts: (query) =>
      answer(async () => {
        const page = await listPayouts(sql, parsePayoutsQuery(query));
        return { items: page.items.map(payoutJson), next: page.next === null ? null : String(page.next) };
      }),
    payout: (key) =>
      answer(async () => {
        const view = await showPayout(sql, { key });
        return {
          payout: payoutJson(view.payout),
          failure: view.failure && failureJson(view.failure),
          transactions: view.transactions.map(transactionJson),
        };
      }),
    list: (query) =>
      answer(async () => {
        const page = await listFailures(sql, parseListQuery(query));
        return { items: page.items.map(failureJson), total: page.total };
      }),
    show: (uniqueId) =>
      answer(async () => {
        const view = await showFailure(sql, { uniqueId });
        return {
          failure: failureJson(view.failure),
          payout: view.payout && payoutJson(view.payout),
          transactions: view.transactions.map(transactionJson),
        };
      }),
    retry: (uniqueId, body) =>
      answer(async () => {
        const config = await loadConfig(
          { ...params.env, DATABASE_URL: params.databaseUrl },
          { functionName: 'recoverPayments' },
        );
        tasks ??= createTasksClient(
          config.tasksEmulatorHost ? { emulatorHost: config.tasksEmulatorHost } : {},
        );
        const valid = readAdminBody({ body, headers: {} }, RetryBodySchema, config.maxBodyBytes);
        const result = await retryFailure(
          { sql, tasks, config, now: Date.now },
          { uniqueId, actor: params.operator, ...valid },
        );
        return {
          failure: failureJson(result.failure),
          task: result.taskName,
          first_attempt_at: result.firstAttemptAt,
        };
      }, 202),
    setStatus: (uniqueId, body) =>
      answer(async () => {
        const valid = readAdminBody({ body, headers: {} }, StatusBodySchema, 1_000_000);
        const result = await updateFailureStatus(
          { sql, now: Date.now },
          {
            uniqueId,
            status: valid.status,
            actor: params.operator,
            ...(valid.admin_notes === undefined ? {} : { notes: valid.admin_notes }),
            ...(valid.recovery_tx_hash === undefined ? {} : { recoveryTxHash: valid.recovery_tx_hash }),
          },
        );
        return { failure: failureJson(result.failure) };
      }),
    close: async () => {
      await Promise.allSettled([sql.end({ timeout: 5 }), tasks?.close()]);
    },
  };
}
