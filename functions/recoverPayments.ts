/** recoverPayments: the scheduled recovery job (docs/architecture.md, "The flow"): reconcile, automated retries, sweep. */
import { RequestError } from '../shared/http/requestError.js';
import { runRecovery } from '../shared/recovery/runRecovery.js';
import { type CreateDepsOptions, createRecoveryDeps, healthProbes } from '../shared/runtime/createDeps.js';
import { createHttpFunction } from '../shared/runtime/httpFunction.js';

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createRecoverPayments = (options: CreateDepsOptions = {}) =>
  createHttpFunction({
    name: 'recoverPayments',
    createDeps: () => createRecoveryDeps(options),
    health: healthProbes,
    handle: async (deps, req, logger) => {
      if (req.method !== 'POST') throw new RequestError(405, 'method_not_allowed', 'use POST');
      const startedAt = deps.now();
      const summary = await runRecovery(deps, { logger });
      const counts = {
        recovered: summary.recovered.length,
        retried: summary.retried.length,
        skipped: summary.skipped.length,
        swept: summary.swept.filter((s) => s.created).length,
      };
      logger.info('recovery_run', `recovery run: ${JSON.stringify(counts)}`, {
        ...counts,
        duration_ms: deps.now() - startedAt,
      });
      return { status: 200, body: { ...summary, counts } };
    },
  });

export const recoverPayments = createRecoverPayments();
