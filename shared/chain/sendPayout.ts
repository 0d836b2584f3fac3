/** A payout's first transfer (DESIGN.md §4 step 4): validate, nonce from the database, sign, store, broadcast, wait. */
import { allocateNonce, type PayoutTransaction, type SqlClient } from '../db/index.js';
import type { ChainClient } from './client.js';
import { awaitGroup, broadcastStored, type PayoutStep, storeSigned } from './payoutBroadcast.js';
import { feePolicy, inTransaction, type TransferPayoutParams } from './payoutParams.js';
import { preflightTransfer } from './preflight.js';
import { signTransaction } from './sign.js';
import { buildTransferTransaction } from './transfer.js';

/**
 * Checks everything that can be checked before signing (`preflightTransfer`), then, in one database
 * transaction under the wallet's nonce row lock, allocates the nonce, signs and stores the transfer: a
 * crash after this leaves the signed bytes stored and the nonce accounted for, never a nonce without bytes.
 */
export async function signAndStoreTransfer(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
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
  return inTransaction(sql, async (tx) => {
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

/** Signs and stores a new transfer, broadcasts it and waits for it up to the attempt's bound. */
export async function sendPayout(
  chain: ChainClient,
  sql: SqlClient,
  params: TransferPayoutParams,
): Promise<PayoutStep> {
  const stored = await signAndStoreTransfer(chain, sql, params);
  const { outcome, transaction } = await broadcastStored(chain, sql, params, stored);
  // The nonce was used under us: only the receipts can tell by what.
  if (outcome === 'nonce_used') return { kind: 'look_again' };
  return awaitGroup(chain, sql, params, [transaction], { cancelRequested: false });
}
