/** The chain step of an attempt: the payout engine with the configured bounds and this delivery's lease. */
import { formatEther } from 'ethers';
import { resolveAsset } from '../assets.js';
import type { Lease, Payout, PayoutTransaction } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { advancePayout, type TransferOutcome, type TransferPayoutParams } from '../payout/index.js';
import type { ChainDeps, LedgerDeps } from './types.js';

/** The configured fee cap, margins, bounds and depths for one payout's chain work under `leaseOwner`. */
export function chainParams(
  deps: Pick<LedgerDeps, 'config' | 'assets'>,
  payout: Payout,
  leaseOwner: string,
): TransferPayoutParams {
  const config = deps.config;
  const lease: Lease = { uniqueId: payout.uniqueId, owner: leaseOwner, seconds: config.leaseSeconds };
  return {
    payout,
    lease,
    asset: resolveAsset(deps.assets, { currency: payout.currency, network: payout.network }),
    feeCapWei: config.maxFeePerGasWei,
    priorityFeeWei: config.maxPriorityFeePerGasWei,
    gasMarginPercent: config.gasLimitMarginPercent,
    feeBumpPercent: config.feeBumpPercent,
    receiptWaitMs: config.receiptWaitSeconds * 1000,
    confirmations: config.confirmations,
    reorgSafeDepth: config.reorgSafeDepth,
  };
}

/** Advances the payout: a new transfer, the resumption of what was signed, or a requested cancel. */
export function runChainStep(
  deps: LedgerDeps & ChainDeps,
  params: { payout: Payout; leaseOwner: string; log: Logger },
): Promise<TransferOutcome> {
  const config = deps.config;
  const base = chainParams(deps, params.payout, params.leaseOwner);
  const asset = base.asset;
  const transactionFields = (transaction: PayoutTransaction) => ({
    tx_hash: transaction.hash,
    nonce: transaction.nonce,
    kind: transaction.kind,
  });
  return advancePayout(deps.chain, deps.sql, {
    ...base,
    onSigned: (transaction) =>
      params.log.info(
        'payment_signed',
        `${transaction.kind} ${transaction.hash} signed and stored at nonce ${transaction.nonce}`,
        transactionFields(transaction),
      ),
    onSent: (transaction) =>
      params.log.info(
        'payment_submitted',
        `${transaction.kind} ${transaction.hash} accepted by the node`,
        transactionFields(transaction),
      ),
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
