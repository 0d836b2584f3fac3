/** recordFailure: stores a final failure, alerts and tells the upstream, from the failure queue (docs/architecture.md, "The flow"). */
import { recordFinalFailure } from '../shared/failure/recordFinalFailure.js';
import { readJsonBody } from '../shared/http/readTokenBody.js';
import { type CreateDepsOptions, createFailureDeps, healthProbes } from '../shared/runtime/createDeps.js';
import { createHttpFunction } from '../shared/runtime/httpFunction.js';

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createRecordFailure = (options: CreateDepsOptions = {}) =>
  createHttpFunction({
    name: 'recordFailure',
    createDeps: () => createFailureDeps(options),
    health: healthProbes,
    handle: async (deps, req, logger) => {
      const body = readJsonBody(req, deps.config.maxBodyBytes);
      return { status: 200, body: { ...(await recordFinalFailure(deps, { body, logger })) } };
    },
  });

export const recordFailure = createRecordFailure();
