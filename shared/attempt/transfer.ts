/** The chain step of an attempt: send the payout, or resume what was already signed (DESIGN.md §4 steps 3-4). */
import { formatEther } from 'ethers';
import { resolveAsset } from '../assets.js';
import { type ChainClient, transferPayout as sendOnChain, type TransferOutcome } from '../chain/index.js';
import { requireSettings } from '../config.js';
import type { Payout } from '../db/index.js';
import type { Logger } from '../log.js';
import type { LedgerDeps } from './attemptDeps.js';

export interface TransferDeps {
  readonly chain: ChainClient;
}

/** Runs the transfer with the configured fee cap, margins and receipt bound. */
export function transferPayout(
  deps: LedgerDeps & TransferDeps,
  params: { payout: Payout; leaseOwner: string; log: Logger },
): Promise<TransferOutcome> {
  const config = requireSettings(deps.config, ['chainId']);
  const asset = resolveAsset(deps.assets, {
    currency: params.payout.currency,
    network: params.payout.network,
  });
  return sendOnChain(deps.chain, deps.sql, {
    payout: params.payout,
    asset,
    feeCapWei: config.maxFeePerGasWei,
    priorityFeeWei: config.maxPriorityFeePerGasWei,
    gasMarginPercent: config.gasLimitMarginPercent,
    feeBumpPercent: config.feeBumpPercent,
    receiptWaitMs: config.receiptWaitSeconds * 1000,
    confirmations: config.confirmations,
    onSent: (transaction) =>
      params.log.info('payment_submitted', `${transaction.kind} ${transaction.hash} accepted by the node`, {
        tx_hash: transaction.hash,
        nonce: transaction.nonce,
        kind: transaction.kind,
      }),
    onBalances: (balances) => {
      const value = asset.kind === 'native' ? params.payout.amountBaseUnits : 0n;
      const left = balances.eth - value;
      if (left < config.lowBalanceThresholdWei) {
        params.log.warn('wallet_balance_low', `hot wallet ETH after this payout: ${formatEther(left)}`, {
          balance_wei: balances.eth,
          threshold_wei: config.lowBalanceThresholdWei,
        });
      }
    },
  });
}
