/**
 * adminApi: operators see every payout, and list, show, retry and change the status of failed ones
 * (docs/architecture.md); it also serves their web console (`shared/console/`, docs/deploy.md).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { isConsolePath, serveConsole } from '../shared/console/static.js';
import { parseStatsQuery, readStats } from '../shared/console/stats.js';
import { listPayouts, type PayoutTransaction } from '../shared/db/index.js';
import { explorerTransactionUrl } from '../shared/explorer.js';
import { RequestError } from '../shared/http/requestError.js';
import type { Logger } from '../shared/log.js';
import { RetryBodySchema, readAdminBody, StatusBodySchema } from '../shared/recovery/adminBody.js';
import { listFailures, parseListQuery } from '../shared/recovery/listFailures.js';
import { OPENAPI } from '../shared/recovery/openapi.js';
import { operatorIdentity } from '../shared/recovery/operatorIdentity.js';
import { parsePayoutsQuery, showPayout } from '../shared/recovery/payouts.js';
import { Refusal } from '../shared/recovery/refusal.js';
import { retryFailure } from '../shared/recovery/retryFailure.js';
import { showFailure } from '../shared/recovery/showFailure.js';
import { failureJson, payoutJson, transactionJson } from '../shared/recovery/toJson.js';
import { updateFailureStatus } from '../shared/recovery/updateFailureStatus.js';
import { type AdminDeps, createRecoveryDeps, recoveryHealth } from '../shared/runtime/adminDeps.js';
import type { CreateDepsOptions } from '../shared/runtime/createDeps.js';
import { createHttpFunction, type HttpAnswer } from '../shared/runtime/httpFunction.js';
import { hasControlCharacter } from '../shared/text.js';

const ROUTE = /^\/failed-transactions(?:\/([^/]+)(?:\/(retry|status))?)?\/?$/;
const PAYOUTS_ROUTE = /^\/payouts(?:\/([^/]+))?\/?$/;

/** Answers one admin request; refusals carry their facts (both statuses of a refused transition). */
export async function handleAdminRequest(deps: AdminDeps, req: Request, logger: Logger): Promise<HttpAnswer> {
  if (req.method === 'GET' && req.path === '/openapi.json') return { status: 200, body: { ...OPENAPI } };
  const actor = await operatorIdentity(deps, req.headers);
  if (req.path === '/balances' || req.path === '/stats') return consoleRead(deps, req, logger);
  const payouts = PAYOUTS_ROUTE.exec(req.path);
  if (payouts) return payoutsRequest(deps, req, payouts[1]);
  const match = ROUTE.exec(req.path);
  if (match === null) throw new RequestError(404, 'not_found', `no route ${req.method} ${req.path}`);
  const uniqueId = match[1] === undefined ? undefined : decodeSegment(match[1]);
  const action = match[2];
  const route = `${req.method} ${action ?? (uniqueId === undefined ? 'list' : 'show')}`;
  try {
    switch (route) {
      case 'GET list': {
        const page = await listFailures(deps.sql, parseListQuery(req.query as Record<string, unknown>));
        return { status: 200, body: { items: page.items.map(failureJson), total: page.total } };
      }
      case 'GET show': {
        const view = await showFailure(deps.sql, { uniqueId: uniqueId! });
        return {
          status: 200,
          body: {
            failure: failureJson(view.failure),
            payout: view.payout && payoutJson(view.payout),
            transactions: await withChainState(deps, view.transactions),
          },
        };
      }
      case 'POST retry': {
        const body = readAdminBody(req, RetryBodySchema, deps.config.maxBodyBytes);
        const result = await retryFailure(deps, {
          uniqueId: uniqueId!,
          actor,
          ...(body.force === undefined ? {} : { force: body.force }),
          ...(body.notes === undefined ? {} : { notes: body.notes }),
        });
        logger.notice('admin_retry_requested', `retry of ${uniqueId} requested by ${actor}`, {
          unique_id: uniqueId,
          operator: actor,
          force: body.force === true,
          error_code: result.failure.errorCode,
          task: result.taskName,
        });
        return {
          status: 202,
          body: {
            failure: failureJson(result.failure),
            task: result.taskName,
            first_attempt_at: result.firstAttemptAt,
          },
        };
      }
      case 'PUT status': {
        const body = readAdminBody(req, StatusBodySchema, deps.config.maxBodyBytes);
        const result = await updateFailureStatus(deps, {
          uniqueId: uniqueId!,
          status: body.status,
          actor,
          ...(body.admin_notes === undefined ? {} : { notes: body.admin_notes }),
          ...(body.recovery_tx_hash === undefined ? {} : { recoveryTxHash: body.recovery_tx_hash }),
        });
        logger.notice(
          'admin_status_changed',
          `${uniqueId}: ${result.previousStatus} -> ${body.status} by ${actor}`,
          {
            unique_id: uniqueId,
            operator: actor,
            from: result.previousStatus,
            to: body.status,
          },
        );
        return { status: 200, body: { failure: failureJson(result.failure) } };
      }
      default:
        throw new RequestError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`);
    }
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    logger.warn('admin_request_refused', error.message, {
      unique_id: uniqueId,
      operator: actor,
      reason: error.reason,
    });
    return { status: error.status, body: { error: error.reason, message: error.message, ...error.details } };
  }
}

/** `GET /payouts` (filtered, newest first, keyset pages) and `GET /payouts/{unique_id or tx hash}`. */
async function payoutsRequest(
  deps: AdminDeps,
  req: Request,
  segment: string | undefined,
): Promise<HttpAnswer> {
  if (req.method !== 'GET')
    throw new RequestError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`);
  if (segment === undefined) {
    const page = await listPayouts(deps.sql, parsePayoutsQuery(req.query as Record<string, unknown>));
    return {
      status: 200,
      body: { items: page.items.map(payoutJson), next: page.next === null ? null : String(page.next) },
    };
  }
  const view = await showPayout(deps.sql, { key: decodeSegment(segment) });
  return {
    status: 200,
    body: {
      payout: payoutJson(view.payout),
      failure: view.failure && failureJson(view.failure),
      transactions: await withChainState(deps, view.transactions),
    },
  };
}

/** `GET /balances` and `GET /stats`: what the console shows beside the payouts; reads only. */
async function consoleRead(deps: AdminDeps, req: Request, logger: Logger): Promise<HttpAnswer> {
  if (req.method !== 'GET')
    throw new RequestError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`);
  if (req.path === '/stats') {
    const query = parseStatsQuery(req.query as Record<string, unknown>, deps.now());
    return { status: 200, body: await readStats(deps.sql, query, deps.now()) };
  }
  if (Object.keys(req.query as object).length > 0)
    throw new RequestError(400, 'invalid_query', '/balances takes no query parameters');
  if (deps.walletBalances === undefined)
    return {
      status: 503,
      body: { error: 'chain_not_configured', message: 'adminApi has no chain settings' },
    };
  try {
    return { status: 200, body: { ...(await deps.walletBalances()) } };
  } catch (error) {
    // The node's error may carry the RPC URL, whose path often holds a provider key: logged redacted, not returned.
    logger.warn('balances_unavailable', 'the node did not answer the balance reads', { error });
    return {
      status: 503,
      body: { error: 'chain_unavailable', message: 'the node did not answer the balance reads' },
    };
  }
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
function withChainState(deps: AdminDeps, transactions: PayoutTransaction[]) {
  return Promise.all(
    transactions.map(async (t) => ({
      ...transactionJson(t),
      explorer_url: explorerTransactionUrl(t.chainId, t.hash) ?? null,
      ...(deps.transactionState ? { chain: await chainStateOf(deps.transactionState, t.hash) } : {}),
    })),
  );
}

/** The node's word on a transaction; a node that cannot answer says so instead of failing the view. */
async function chainStateOf(read: NonNullable<AdminDeps['transactionState']>, hash: string) {
  try {
    return await read(hash);
  } catch {
    return { state: 'unavailable' };
  }
}

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createAdminApi = (options: CreateDepsOptions = {}) => {
  const api = createHttpFunction({
    name: 'adminApi',
    createDeps: () => createRecoveryDeps('adminApi', options),
    health: recoveryHealth,
    handle: handleAdminRequest,
  });
  // The console's static files need neither the dependencies nor an operator: served before both.
  const handler = (req: Request, res: Response) =>
    isConsolePath(req.path) ? serveConsole(req, res) : api(req, res);
  return Object.assign(handler, { close: api.close });
};

export const adminApi = createAdminApi();
