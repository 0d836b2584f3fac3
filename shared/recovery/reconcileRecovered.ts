/** A failure whose retry confirmed on chain becomes `recovered` with the hash (docs/architecture.md, "The flow" and "Database"). */
import {
  type FailedTransaction,
  getPayout,
  markRecovered,
  type Payout,
  type SqlClient,
  updateFailedTransactionStatus,
} from '../db/index.js';

/**
 * When the failure is being retried (retry_scheduled or retry_in_progress) and its ledger row is confirmed,
 * moves it to `recovered` with the confirmed hash, through retry_in_progress as the transition table
 * requires. `recovered_by` keeps whoever asked for the retry. Returns the row as it now is; a concurrent
 * change (someone else reconciled it first) leaves it to them.
 */
export async function reconcileRecovered(
  sql: SqlClient,
  params: { failure: FailedTransaction; payout?: Payout | null; recoveredBy: string },
): Promise<{ failure: FailedTransaction; recovered: boolean }> {
  let failure = params.failure;
  if (failure.status !== 'retry_scheduled' && failure.status !== 'retry_in_progress') {
    return { failure, recovered: false };
  }
  const payout =
    params.payout === undefined ? await getPayout(sql, { uniqueId: failure.uniqueId }) : params.payout;
  if (payout?.status !== 'confirmed' || payout.confirmedTxHash === null) return { failure, recovered: false };
  try {
    if (failure.status === 'retry_scheduled') {
      failure =
        (await updateFailedTransactionStatus(sql, {
          uniqueId: failure.uniqueId,
          to: 'retry_in_progress',
          expectedFrom: 'retry_scheduled',
        })) ?? failure;
    }
    const recovered = await markRecovered(sql, {
      uniqueId: failure.uniqueId,
      recoveryTxHash: payout.confirmedTxHash,
      recoveredBy: failure.recoveredBy ?? params.recoveredBy,
      adminNote: `${new Date().toISOString()} recovered: confirmed in ${payout.confirmedTxHash}`,
    });
    return { failure: recovered ?? failure, recovered: recovered !== null };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'STATUS_TRANSITION_REFUSED') {
      return { failure, recovered: false };
    }
    throw error;
  }
}
