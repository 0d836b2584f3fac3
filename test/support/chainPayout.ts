/** Ledger rows and transfer settings for chain tests on a real database (see `postgres.ts`, `anvil.ts`). */
import { randomUUID } from 'node:crypto';
import type { Asset } from '../../shared/assets.js';
import { claimPayout, type Payout, type SqlClient } from '../../shared/db/index.js';
import { formatBaseUnits } from '../../shared/money.js';
import type { TransferPayoutParams } from '../../shared/payout/index.js';
import { DEFAULT_POLICY } from './chain.js';

/** The delivery every chain test's payout is leased to. */
export const TEST_LEASE_OWNER = 'chain-test';

/** Creates the payout's ledger row (leased to the test) as an attempt would, and returns it. */
export async function createPayout(
  sql: SqlClient,
  params: { asset: Asset; to: string; amount: bigint; uniqueId?: string },
): Promise<Payout> {
  const { asset } = params;
  const claim = await claimPayout(sql, {
    uniqueId: params.uniqueId ?? `batch_${randomUUID()}`,
    cnApiId: 'cn_api_test',
    context: 'batch',
    currency: asset.symbol,
    network: asset.network,
    chainId: asset.chainId,
    assetAddress: asset.kind === 'erc20' ? asset.address : null,
    decimals: asset.decimals,
    recipient: params.to,
    amountDecimal: formatBaseUnits(params.amount, asset.decimals),
    amountBaseUnits: params.amount,
    leaseOwner: TEST_LEASE_OWNER,
    leaseSeconds: 600,
  });
  return claim.payout;
}

/** The defaults of the settings, a short receipt wait and fast polling. */
export function transferParams(
  payout: Payout,
  asset: Asset,
  overrides: Partial<TransferPayoutParams> = {},
): TransferPayoutParams {
  return {
    payout,
    lease: { uniqueId: payout.uniqueId, owner: TEST_LEASE_OWNER, seconds: 600 },
    asset,
    feeCapWei: DEFAULT_POLICY.maxFeePerGas,
    priorityFeeWei: DEFAULT_POLICY.maxPriorityFeePerGas,
    gasMarginPercent: 20,
    feeBumpPercent: DEFAULT_POLICY.feeBumpPercent,
    receiptWaitMs: 5_000,
    confirmations: 1,
    pollIntervalMs: 250,
    ...overrides,
  };
}
