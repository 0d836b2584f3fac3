/** executePayment: attempt 1 of a payout, from the upstream's payment queue (docs/architecture.md, "The flow"). */

import { createAttemptFunction } from '../shared/runtime/attemptFunction.js';
import type { CreateDepsOptions } from '../shared/runtime/createDeps.js';

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createExecutePayment = (options: CreateDepsOptions = {}) =>
  createAttemptFunction('executePayment', options);

export const executePayment = createExecutePayment();
