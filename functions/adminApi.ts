/**
 * adminApi: the operator API (`shared/admin/routes.ts`: every payout, failures and what to do with them,
 * balances and charts) and the operators' web console (`shared/console/`), behind the same IAM
 * (docs/architecture.md, "Operators").
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { createAdminDeps } from '../shared/admin/deps.js';
import { OPENAPI } from '../shared/admin/openapi.js';
import { operatorIdentity } from '../shared/admin/operatorIdentity.js';
import { dispatchAdmin } from '../shared/admin/routes.js';
import { isConsolePath, serveConsole } from '../shared/console/static.js';
import { type CreateDepsOptions, healthProbes } from '../shared/runtime/createDeps.js';
import { createHttpFunction } from '../shared/runtime/httpFunction.js';

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createAdminApi = (options: CreateDepsOptions = {}) => {
  const api = createHttpFunction({
    name: 'adminApi',
    createDeps: () => createAdminDeps(options),
    health: healthProbes,
    handle: async (deps, req, logger) => {
      if (req.method === 'GET' && req.path === '/openapi.json') return { status: 200, body: { ...OPENAPI } };
      const actor = await operatorIdentity(deps, req.headers);
      const call = {
        method: req.method,
        path: req.path,
        query: req.query as Record<string, unknown>,
        body: req.body,
        headers: req.headers,
        actor,
      };
      return dispatchAdmin(deps, async () => deps, call, logger);
    },
  });
  // The console's static files need neither the dependencies nor an operator: served before both.
  const handler = (req: Request, res: Response) =>
    isConsolePath(req.path) ? serveConsole(req, res) : api(req, res);
  return Object.assign(handler, { close: api.close });
};

export const adminApi = createAdminApi();
