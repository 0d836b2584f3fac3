/** executePayment: attempt 1 of a payout, from the upstream's payment queue (DESIGN.md §2, §4). */
import { runAttempt } from '../shared/attempt/runAttempt.js';
import { readTokenBody } from '../shared/http/readTokenBody.js';
import { createAttemptDeps, healthProbes } from '../shared/runtime/createDeps.js';
import { createHttpFunction } from '../shared/runtime/httpFunction.js';

export const executePayment = createHttpFunction({
  name: 'executePayment',
  createDeps: () => createAttemptDeps('executePayment'),
  health: healthProbes,
  handle: async (deps, req, logger) => {
    const { token } = readTokenBody(req, deps.config.maxBodyBytes);
    return { status: 200, body: { ...(await runAttempt(deps, { token, logger })) } };
  },
});
