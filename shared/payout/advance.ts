/** The payout engine's entry: send a payout once, resume what was signed, or carry out a requested cancel. */
import type { ChainClient } from '../chain/client.js';
import { listPayoutTransactions, type SqlClient } from '../db/index.js';
import { HostpayError } from '../errors.js';
import type { PayoutStep } from './broadcast.js';
import {
  type AdvanceState,
  checkPayoutAsset,
  isCode,
  type TransferOutcome,
  type TransferPayoutParams,
} from './params.js';
import { resumePayout } from './resume.js';
import { sendPayout } from './send.js';

const MAX_ROUNDS = 3;

/**
 * Moves the payout as far as one call can, within `receiptWaitMs` of waiting: sends it when nothing is
 * stored (`sendPayout`), else resumes (`resumePayout`). A nonce provably dead at the reorg-safe depth
 * leads to a new transfer at a new nonce; a nonce the node calls used leads to another look at the
 * receipts. Once the payout is `cancel_requested` (found so, or told by the fence midway) no transfer is
 * signed: the call settles the race between the stored transfer and its cancel, signing the cancel if
 * needed. Every refusal before signing is thrown with its code, nothing broadcast; LEASE_LOST means the
 * caller no longer holds the payout and must stop.
 */
export async function advancePayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
): Promise<TransferOutcome> {
  checkPayoutAsset(chain, params);
  const state: AdvanceState = {
    waitUntil: Date.now() + params.receiptWaitMs,
    cancelRequested: params.payout.status === 'cancel_requested',
  };
  let step: PayoutStep = { kind: 'look_again' };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      step = await oneRound(chain, sql, params, state, step);
    } catch (error) {
      // The operator's cancel arrived while this call was about to sign a transfer: carry it out instead.
      if (isCode(error, 'CANCEL_REQUESTED') && !state.cancelRequested) {
        state.cancelRequested = true;
        step = { kind: 'look_again' };
        continue;
      }
      throw error;
    }
    if (step.kind === 'reverted' && state.cancelRequested) return { kind: 'cancelled', txHash: step.txHash };
    if (step.kind !== 'resend' && step.kind !== 'look_again') return step;
  }
  throw new HostpayError(
    'NONCE_CONFLICT',
    `payout ${params.payout.uniqueId}: the nonce kept moving under ${MAX_ROUNDS} looks`,
    {
      details: { uniqueId: params.payout.uniqueId },
    },
  );
}

async function oneRound(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  state: AdvanceState,
  previous: PayoutStep,
): Promise<PayoutStep> {
  const stored = await listPayoutTransactions(sql, { uniqueId: params.payout.uniqueId });
  if (stored.length > 0 && previous.kind !== 'resend') return resumePayout(chain, sql, params, stored, state);
  if (state.cancelRequested) return { kind: 'cancelled', txHash: null };
  try {
    return await sendPayout(chain, sql, params, { ...state, knownTransactions: stored.length });
  } catch (error) {
    // Another transaction was stored between the decision and the fence: decide again from the receipts.
    if (isCode(error, 'NONCE_CONFLICT')) return { kind: 'look_again' };
    throw error;
  }
}
