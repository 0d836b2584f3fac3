/** The deployed entry points (terraform/functions.tf `entry_point`): one module, five functions. */
export { adminApi } from './adminApi.js';
export { executePayment } from './executePayment.js';
export { recordFailure } from './recordFailure.js';
export { recoverPayments } from './recoverPayments.js';
export { retryPayment } from './retryPayment.js';
