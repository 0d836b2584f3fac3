/**
 * The payout engine (docs/architecture.md, "The payout engine"): drives one payout on chain while writing
 * its ledger, every signature behind the fence. `shared/chain/` below it is plain RPC and writes nothing.
 */
export { advancePayout } from './advance.js';
export { type PayoutStep, storeSigned } from './broadcast.js';
export { liveGroup, mayStillPay, type NonceFate, nonceFate, nonceGroups, paysNothing } from './fate.js';
export { type FilledNonce, fillNonceGaps } from './gaps.js';
export {
  type AdvanceState,
  checkPayoutAsset,
  DEFAULT_REPLACE_AFTER_MS,
  fenced,
  type TransferOutcome,
  type TransferPayoutParams,
} from './params.js';
export { resumePayout } from './resume.js';
export { sendPayout, signAndStoreTransfer } from './send.js';
