/** The chain step of an attempt (DESIGN.md §4 steps 3-5): send a payout once, or resume what was signed. */
import { listPayoutTransactions, type SqlClient } from '../db/index.js';
import { HostpayError } from '../errors.js';
import type { ChainClient } from './client.js';
import type { PayoutStep } from './payoutBroadcast.js';
import { checkPayoutAsset, type TransferOutcome, type TransferPayoutParams } from './payoutParams.js';
import { resumePayout } from './resumePayout.js';
import { sendPayout } from './sendPayout.js';

const MAX_ROUNDS = 3;

/**
 * Sends the payout (`sendPayout`) when nothing is stored for it, else resumes (`resumePayout`). A nonce
 * used without paying (a foreign transaction, or the cancellation that took back a refused transfer's
 * nonce, at depth) leads to a new transfer at a new nonce; a nonce the node calls used leads to another
 * look at the receipts. Every refusal before signing is thrown with its code, nothing broadcast.
 */
export async function transferPayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
): Promise<TransferOutcome> {
  checkPayoutAsset(chain, params);
  let step: PayoutStep = { kind: 'look_again' };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (step.kind === 'resend') {
      step = await sendPayout(chain, sql, params);
    } else {
      const stored = await listPayoutTransactions(sql, { uniqueId: params.payout.uniqueId });
      step =
        stored.length === 0
          ? await sendPayout(chain, sql, params)
          : await resumePayout(chain, sql, params, stored);
    }
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
