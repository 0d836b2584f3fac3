/**
 * The operator API as a table of routes (docs/architecture.md, "Operators"): adminApi serves it over HTTP
 * and the CLI's database mode calls the same table in process, so both give the same answers. Reads touch
 * only the ledger (and the node, when there is one); the routes that change something ask for the full
 * dependencies, loaded only then.
 */
import { listPayouts, type PayoutTransaction } from '../db/index.js';
import { explorerTransactionUrl } from '../explorer.js';
import { RequestError } from '../http/requestError.js';
import type { Logger } from '../log/index.js';
import { retryFailure } from '../recovery/retryFailure.js';
import type { HttpAnswer } from '../runtime/httpFunction.js';
import { hasControlCharacter } from '../text.js';
import { RetryBodySchema, readAdminBody, StatusBodySchema } from './adminBody.js';
import type { AdminReadDeps, AdminWriteDeps } from './deps.js';
import { listFailures, parseListQuery } from './listFailures.js';
import { parsePayoutsQuery, showPayout } from './payouts.js';
import { showFailure } from './showFailure.js';
import { parseStatsQuery, readStats } from './stats.js';
import { failureJson, payoutJson, transactionJson } from './toJson.js';
import { updateFailureStatus } from './updateFailureStatus.js';

/** One operator request, whoever carries it. */
export interface AdminCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  /** Who asks: a verified e-mail in production, the named operator locally. */
  actor: string;
}

interface RouteContext {
  deps: AdminReadDeps;
  /** The dependencies of a change (queue, settings, the cancel); loaded when a route needs them. */
  writeDeps: () => Promise<AdminWriteDeps>;
  call: AdminCall;
  /** The path's `{unique_id}` (or tx hash), decoded. */
  key: string;
  logger: Logger;
}

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: RegExp;
  handle: (context: RouteContext) => Promise<HttpAnswer>;
}

const ok = (body: Record<string, unknown>, status = 200): HttpAnswer => ({ status, body });

export const ADMIN_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: /^\/payouts\/?$/,
    handle: async ({ deps, call }) => {
      const page = await listPayouts(deps.sql, parsePayoutsQuery(call.query));
      return ok({ items: page.items.map(payoutJson), next: page.next === null ? null : String(page.next) });
    },
  },
  {
    method: 'GET',
    path: /^\/payouts\/([^/]+)\/?$/,
    handle: async ({ deps, key }) => {
      const view = await showPayout(deps.sql, { key });
      return ok({
        payout: payoutJson(view.payout),
        failure: view.failure && failureJson(view.failure),
        transactions: await withChainState(deps, view.transactions),
      });
    },
  },
  {
    method: 'GET',
    path: /^\/failed-transactions\/?$/,
    handle: async ({ deps, call }) => {
      const page = await listFailures(deps.sql, parseListQuery(call.query));
      return ok({ items: page.items.map(failureJson), total: page.total });
    },
  },
  {
    method: 'GET',
    path: /^\/failed-transactions\/([^/]+)\/?$/,
    handle: async ({ deps, key }) => {
      const view = await showFailure(deps.sql, { uniqueId: key });
      return ok({
        failure: failureJson(view.failure),
        payout: view.payout && payoutJson(view.payout),
        transactions: await withChainState(deps, view.transactions),
      });
    },
  },
  {
    method: 'POST',
    path: /^\/failed-transactions\/([^/]+)\/retry\/?$/,
    handle: async ({ writeDeps, call, key, logger }) => {
      const deps = await writeDeps();
      const body = readAdminBody(bodyOf(call), RetryBodySchema, deps.config.maxBodyBytes);
      const result = await retryFailure(deps, {
        uniqueId: key,
        actor: call.actor,
        ...(body.force === undefined ? {} : { force: body.force }),
        ...(body.notes === undefined ? {} : { notes: body.notes }),
      });
      logger.notice('admin_retry_requested', `retry of ${key} requested by ${call.actor}`, {
        unique_id: key,
        operator: call.actor,
        force: body.force === true,
        error_code: result.failure.errorCode,
        task: result.taskName,
      });
      return ok(
        {
          failure: failureJson(result.failure),
          task: result.taskName,
          first_attempt_at: result.firstAttemptAt,
        },
        202,
      );
    },
  },
  {
    method: 'PUT',
    path: /^\/failed-transactions\/([^/]+)\/status\/?$/,
    handle: async ({ writeDeps, call, key, logger }) => {
      const deps = await writeDeps();
      const body = readAdminBody(bodyOf(call), StatusBodySchema, deps.config.maxBodyBytes);
      const result = await updateFailureStatus(deps, {
        uniqueId: key,
        status: body.status,
        actor: call.actor,
        ...(body.admin_notes === undefined ? {} : { notes: body.admin_notes }),
        ...(body.recovery_tx_hash === undefined ? {} : { recoveryTxHash: body.recovery_tx_hash }),
      });
      logger.notice(
        'admin_status_changed',
        `${key}: ${result.previousStatus} -> ${body.status} by ${call.actor}`,
        {
          unique_id: key,
          operator: call.actor,
          from: result.previousStatus,
          to: body.status,
        },
      );
      return ok({ failure: failureJson(result.failure) });
    },
  },
  {
    method: 'GET',
    path: /^\/balances$/,
    handle: async ({ deps, call, logger }) => {
      if (Object.keys(call.query).length > 0)
        throw new RequestError(400, 'invalid_query', '/balances takes no query parameters');
      if (deps.walletBalances === undefined)
        return ok({ error: 'chain_not_configured', message: 'adminApi has no chain settings' }, 503);
      try {
        return ok({ ...(await deps.walletBalances()) });
      } catch (error) {
        // The node's error may carry the RPC URL, whose path often holds a provider key: logged redacted only.
        logger.warn('balances_unavailable', 'the node did not answer the balance reads', { error });
        return ok({ error: 'chain_unavailable', message: 'the node did not answer the balance reads' }, 503);
      }
    },
  },
  {
    method: 'GET',
    path: /^\/stats$/,
    handle: async ({ deps, call }) =>
      ok(await readStats(deps.sql, parseStatsQuery(call.query, deps.now()), deps.now())),
  },
];

/**
 * Answers one operator request from the table: 404 for a path no route has, 405 for a method the path does
 * not take; a refusal answers its status and details and is logged with who asked.
 */
export async function dispatchAdmin(
  deps: AdminReadDeps,
  writeDeps: () => Promise<AdminWriteDeps>,
  call: AdminCall,
  logger: Logger,
): Promise<HttpAnswer> {
  const matching = ADMIN_ROUTES.map((route) => ({ route, match: route.path.exec(call.path) })).filter(
    (m) => m.match !== null,
  );
  const found = matching.find((m) => m.route.method === call.method);
  if (found === undefined) {
    if (matching.length === 0)
      throw new RequestError(404, 'not_found', `no route ${call.method} ${call.path}`);
    throw new RequestError(405, 'method_not_allowed', `${call.method} is not allowed on ${call.path}`);
  }
  const segment = found.match?.[1];
  const key = segment === undefined ? '' : decodeSegment(segment);
  try {
    return await found.route.handle({ deps, writeDeps, call, key, logger });
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    logger.warn('admin_request_refused', error.message, {
      unique_id: key || undefined,
      operator: call.actor,
      reason: error.reason,
      status: error.status,
    });
    return { status: error.status, body: error.toBody() };
  }
}

function bodyOf(call: AdminCall) {
  return { body: call.body, headers: call.headers ?? {} };
}

/** A path segment as the unique_id it encodes; malformed percent-encoding or a control character is a 400. */
function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new RequestError(400, 'malformed_path', 'the unique_id in the path is not valid percent-encoding');
  }
  if (hasControlCharacter(decoded)) {
    throw new RequestError(400, 'malformed_path', 'the unique_id in the path holds a control character');
  }
  return decoded;
}

/**
 * Each transaction without its raw bytes, with its explorer page (null on a chain without one) and what the
 * node says of it now when a chain client is at hand.
 */
function withChainState(deps: AdminReadDeps, transactions: PayoutTransaction[]) {
  return Promise.all(
    transactions.map(async (t) => ({
      ...transactionJson(t),
      explorer_url: explorerTransactionUrl(t.chainId, t.hash) ?? null,
      ...(deps.transactionState ? { chain: await chainStateOf(deps.transactionState, t.hash) } : {}),
    })),
  );
}

/** The node's word on a transaction; a node that cannot answer says so instead of failing the view. */
async function chainStateOf(read: NonNullable<AdminReadDeps['transactionState']>, hash: string) {
  try {
    return await read(hash);
  } catch {
    return { state: 'unavailable' };
  }
}
