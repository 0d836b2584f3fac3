/** The chain step of an attempt: send the payout, or resume what was already signed (DESIGN.md §4 steps 3-4). */
import { formatEther } from 'ethers';
import { resolveAsset } from '../assets.js';
import {
  type ChainClient,
  transferPayout as sendOnChain,
  type TransferOutcome,
  type TransferPayoutParams,
} from '../chain/index.js';
import type { Payout } from '../db/index.js';
import type { Logger } from '../log.js';
import type { LedgerDeps } from './attemptDeps.js';

export interface TransferDeps {
  readonly chain: ChainClient;
}

/** The configured fee cap, margins and receipt bound for one payout's chain work. */
export function chainParams(
  deps: Pick<LedgerDeps, 'config' | 'assets'>,
  payout: Payout,
): TransferPayoutParams {
  const config = deps.config;
  return {
    payout,
    asset: resolveAsset(deps.assets, { currency: payout.currency, network: payout.network }),
    feeCapWei: config.maxFeePerGasWei,
    priorityFeeWei: config.maxPriorityFeePerGasWei,
    gasMarginPercent: config.gasLimitMarginPercent,
    feeBumpPercent: config.feeBumpPercent,
    receiptWaitMs: config.receiptWaitSeconds * 1000,
    confirmations: config.confirmations,
  };
}

/** Runs the transfer: a new one, or the resumption of what was already signed. */
export function transferPayout(
  deps: LedgerDeps & TransferDeps,
  params: { payout: Payout; leaseOwner: string; log: Logger },
): Promise<TransferOutcome> {
  const config = deps.config;
  const base = chainParams(deps, params.payout);
  const asset = base.asset;
  return sendOnChain(deps.chain, deps.sql, {
    ...base,
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
