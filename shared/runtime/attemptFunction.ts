/** executePayment and retryPayment are one adapter over the attempt (docs/architecture.md, "The flow"), deployed twice. */
import { runAttempt } from '../attempt/runAttempt.js';
import { readTokenBody } from '../http/readTokenBody.js';
import { type CreateDepsOptions, createAttemptDeps, healthProbes } from './createDeps.js';
import { createHttpFunction } from './httpFunction.js';

export function createAttemptFunction(
  name: 'executePayment' | 'retryPayment',
  options: CreateDepsOptions = {},
) {
  return createHttpFunction({
    name,
    createDeps: () => createAttemptDeps(name, options),
    health: healthProbes,
    handle: async (deps, req, logger) => {
      const { token } = readTokenBody(req, deps.config.maxBodyBytes);
      return { status: 200, body: { ...(await runAttempt(deps, { token, logger })) } };
    },
  });
}
