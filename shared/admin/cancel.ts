/**
 * The operator's cancel carried out on chain (docs/architecture.md, "Cancels"): adminApi takes the payout's
 * lease itself and does the same work as any delivery of it, so the ledger and the upstream learn the
 * outcome exactly as they would from a check.
 */
import { randomUUID } from 'node:crypto';
import { advanceLeasedPayout } from '../attempt/runAttempt.js';
import { encodeRequestToken } from '../attempt/tokens.js';
import type { AttemptDeps } from '../attempt/types.js';
import { acquireLease, releaseLease } from '../db/index.js';
import { requestFromPayout } from '../recovery/retryRequest.js';
import type { SettleCancel } from './updateFailureStatus.js';

/** The cancel's executor over an attempt's dependencies (the wallet and the ledger). */
export function cancelOnChain(deps: AttemptDeps): SettleCancel {
  return async (payout) => {
    const leaseOwner = `admin-cancel-${randomUUID()}`;
    const leased = await acquireLease(deps.sql, {
      uniqueId: payout.uniqueId,
      leaseOwner,
      leaseSeconds: deps.config.leaseSeconds,
    });
    if (leased === null) return { outcome: 'in_progress' };
    const nowSeconds = Math.floor(deps.now() / 1000);
    const request = requestFromPayout(leased, { attempt: Math.max(1, leased.attemptCount), nowSeconds });
    try {
      const result = await advanceLeasedPayout(deps, deps.logger.child({ unique_id: payout.uniqueId }), {
        request,
        token: encodeRequestToken(deps.config, request, deps.now()),
        payout: leased,
        leaseOwner,
      });
      const outcome =
        result.status === 'cancelled'
          ? 'cancelled'
          : result.status === 'success'
            ? 'confirmed'
            : result.status === 'superseded'
              ? 'in_progress'
              : 'pending';
      return { outcome, ...(result.tx_hash ? { txHash: result.tx_hash } : {}) };
    } finally {
      await releaseLease(deps.sql, { uniqueId: payout.uniqueId, leaseOwner }).catch(() => undefined);
    }
  };
}
