/** A payout's new transfer: validate, then fenced: nonce from the database, sign, store; then broadcast and wait. */
import type { ChainClient } from '../chain/client.js';
import { preflightTransfer } from '../chain/preflight.js';
import { signTransaction } from '../chain/sign.js';
import { buildTransferTransaction } from '../chain/transfer.js';
import {
  allocateNonce,
  countPayoutTransactions,
  type PayoutTransaction,
  type SqlClient,
} from '../db/index.js';
import { HostpayError } from '../errors.js';
import { awaitGroup, broadcastStored, type PayoutStep, storeSigned } from './broadcast.js';
import { type AdvanceState, feePolicy, fenced, type TransferPayoutParams } from './params.js';

/**
 * Checks everything that can be checked before signing (`preflightTransfer`), then, in one database
 * transaction that first proves the lease and locks the payout, then the wallet's nonce row: allocates the
 * nonce, signs and stores the transfer. A crash after this leaves the signed bytes stored and the nonce
 * accounted for, never a nonce without bytes. `knownTransactions` is how many stored transactions the
 * decision to sign saw: if another was stored since, nothing is signed (NONCE_CONFLICT, look again).
 */
export async function signAndStoreTransfer(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  knownTransactions: number,
): Promise<PayoutTransaction> {
  const { payout, asset } = params;
  const pre = await preflightTransfer(chain, {
    asset,
    to: payout.recipient,
    amount: payout.amountBaseUnits,
    policy: feePolicy(params),
    gasMarginPercent: params.gasMarginPercent,
  });
  params.onBalances?.(pre.balances);
  return fenced(sql, params.lease, 'transfer', async (tx) => {
    if ((await countPayoutTransactions(tx, { uniqueId: payout.uniqueId })) !== knownTransactions) {
      throw new HostpayError(
        'NONCE_CONFLICT',
        `payout ${payout.uniqueId}: a transaction was stored meanwhile`,
      );
    }
    const { nonce } = await allocateNonce(tx, {
      chainId: chain.chainId,
      address: chain.address,
      chainPendingNonce: pre.chainPendingNonce,
    });
    const unsigned = buildTransferTransaction(chain, asset, {
      to: pre.to,
      amount: payout.amountBaseUnits,
      nonce,
      fees: pre.fees,
      gasLimit: pre.gasLimit,
    });
    const signed = await signTransaction(chain, unsigned);
    return storeSigned(chain, tx, { uniqueId: payout.uniqueId, signed, kind: 'transfer' });
  });
}

/** Signs and stores a new transfer, broadcasts it and waits for it within the call's budget. */
export async function sendPayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
  state: AdvanceState & { knownTransactions: number },
): Promise<PayoutStep> {
  const stored = await signAndStoreTransfer(chain, sql, params, state.knownTransactions);
  params.onSigned?.(stored);
  const { outcome, transaction } = await broadcastStored(chain, sql, params, stored);
  // The nonce was used under us: only the receipts can tell by what.
  if (outcome === 'nonce_used') return { kind: 'look_again' };
  return awaitGroup(chain, sql, params, [transaction], state);
}
