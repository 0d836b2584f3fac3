/**
 * The attempt's decisions, apart from the I/O that carries them out (docs/architecture.md, "The flow"): each
 * is a pure function of what the delivery knows at that point, so every branch is tested on its own
 * (test/unit/attempt/decide.test.ts) and the state machine in runAttempt.ts only reads, decides and writes.
 */
import type { ClaimOutcome, PayoutStatus } from '../db/index.js';

/** Whether a delivery of attempt `attempt` may work: above the bound, or behind the ledger, it is skipped. */
export function deliveryVerdict(params: {
  attempt: number;
  maxAttempts: number;
  /** The ledger's attempt count, once the payout is claimed. */
  ledgerAttempt?: number;
}): 'go' | 'above_max' | 'stale' {
  if (params.attempt > params.maxAttempts) return 'above_max';
  if (params.ledgerAttempt !== undefined && params.attempt < params.ledgerAttempt) return 'stale';
  return 'go';
}

/** What a claim of the ledger row means for this delivery. */
export function claimVerdict(claim: {
  outcome: ClaimOutcome;
  owned: boolean;
}): 'work' | 'conflict' | 'in_progress' | 'settled' {
  if (claim.outcome === 'mismatch') return 'conflict';
  if (claim.owned) return 'work';
  return claim.outcome === 'leased' ? 'in_progress' : 'settled';
}

/** A payout this delivery may not work on any more, answered from its stored status alone. */
export function settledAnswer(
  status: PayoutStatus,
): 'already_completed' | 'failed' | 'cancelled' | 'skipped' {
  if (status === 'confirmed') return 'already_completed';
  if (status === 'failed') return 'failed';
  if (status === 'cancelled') return 'cancelled';
  return 'skipped';
}

/** After an error: another attempt only for a transient error with attempts left and no cancel asked. */
export function retriesAfterError(params: {
  retryable: boolean;
  attempt: number;
  maxAttempts: number;
  cancelRequested: boolean;
}): boolean {
  return !params.cancelRequested && params.retryable && params.attempt < params.maxAttempts;
}

/**
 * After an error that is not retried: keep checking while a stored transaction may still pay (a final
 * failure then could pay twice after a retry), else end — cancelled when an operator asked, failed otherwise.
 */
export function endAfterError(params: {
  mayStillPay: boolean;
  cancelRequested: boolean;
}): 'check' | 'cancelled' | 'failed' {
  if (params.mayStillPay) return 'check';
  return params.cancelRequested ? 'cancelled' : 'failed';
}
