/** recordFailure: stores a final failure, alerts and tells the upstream, from the failure queue (DESIGN.md §2). */
import { recordFailure as record } from '../shared/attempt/recordFailure.js';
import { readJsonBody } from '../shared/http/readTokenBody.js';
import { createRecordFailureDeps, healthProbes } from '../shared/runtime/createDeps.js';
import { createHttpFunction } from '../shared/runtime/httpFunction.js';

export const recordFailure = createHttpFunction({
  name: 'recordFailure',
  createDeps: () => createRecordFailureDeps(),
  health: healthProbes,
  handle: async (deps, req, logger) => {
    const body = readJsonBody(req, deps.config.maxBodyBytes);
    return { status: 200, body: { ...(await record(deps, { body, logger })) } };
  },
});
