/** retryPayment: later attempts, confirmation checks and operator retries, from the retry queue (docs/architecture.md, "The flow"). */

import { createAttemptFunction } from '../shared/runtime/attemptFunction.js';
import type { CreateDepsOptions } from '../shared/runtime/createDeps.js';

/** The function with its inputs given (tests pass a literal environment); the deployed one reads process.env. */
export const createRetryPayment = (options: CreateDepsOptions = {}) =>
  createAttemptFunction('retryPayment', options);

export const retryPayment = createRetryPayment();
