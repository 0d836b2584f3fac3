/** An operator's cancel of a payout whose transaction may still be mined (DESIGN.md §4: same nonce, 0 value). */
import { cancelPayoutTransfer } from '../chain/index.js';
import { markPayoutConfirmed, type Payout } from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import type { LedgerDeps } from './attemptDeps.js';
import { chainParams, type TransferDeps } from './transfer.js';

/**
 * Races a 0-value self-transfer at the pending transaction's nonce against it and says which was mined.
 * The transfer winning marks the payout confirmed (it was paid) and refuses the cancel; neither mined within
 * the receipt bound refuses it too, to be asked again once one is.
 */
export async function cancelOnChain(
  deps: Pick<LedgerDeps, 'config' | 'assets' | 'sql'> & TransferDeps,
  payout: Payout,
): Promise<{ minedHash: string }> {
  const outcome = await cancelPayoutTransfer(deps.chain, deps.sql, chainParams(deps, payout));
  switch (outcome.kind) {
    case 'cancelled':
    case 'reverted':
      return { minedHash: outcome.txHash };
    case 'confirmed':
      await markPayoutConfirmed(deps.sql, { uniqueId: payout.uniqueId, ...outcome });
      return { minedHash: outcome.txHash };
    case 'pending':
      throw new RequestError(
        409,
        'cancel_pending',
        `the cancel of ${payout.uniqueId} is sent (${outcome.txHash}) but neither it nor the transfer is mined yet; ask again`,
      );
    default:
      throw new RequestError(
        409,
        'nothing_to_cancel',
        `payout ${payout.uniqueId} has no transaction in flight`,
      );
  }
}
