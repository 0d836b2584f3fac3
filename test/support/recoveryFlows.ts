/** Recovery situations on the harness (see `hostpay.ts`): a crashed delivery's payout, an operator's calls. */
import assert from 'node:assert/strict';
import { setAutomine } from '../../local/anvil.js';
import { buildAssetTable, resolveAsset } from '../../shared/assets.js';
import { createChainClient } from '../../shared/chain/index.js';
import {
  claimPayout,
  incrementAttempt,
  insertFailedTransaction,
  markPayoutSubmitted,
  releaseLease,
} from '../../shared/db/index.js';
import { formatBaseUnits } from '../../shared/money.js';
import { advancePayout, signAndStoreTransfer } from '../../shared/payout/index.js';
import type { Harness } from './hostpay.js';

const CRASHED = 'crashed-delivery';

function chainFor(h: Harness) {
  return createChainClient({
    rpcUrl: h.anvil.rpcUrl,
    chainId: h.anvil.chainId,
    privateKey: h.env.WALLET_PRIVATE_KEY!,
  });
}

/** The ETH payout of `wei` to `to`, claimed and at attempt 1 under the lease of a delivery that will die. */
async function claimEthPayout(h: Harness, uniqueId: string, to: string, wei: bigint, leaseSeconds: number) {
  await claimPayout(h.db.sql, {
    uniqueId,
    cnApiId: 'cn-test',
    context: 'instant',
    currency: 'eth',
    network: 'eth',
    chainId: h.anvil.chainId,
    assetAddress: null,
    decimals: 18,
    recipient: to,
    amountDecimal: formatBaseUnits(wei, 18),
    amountBaseUnits: wei,
    leaseOwner: CRASHED,
    leaseSeconds,
  });
  return incrementAttempt(h.db.sql, { uniqueId, leaseOwner: CRASHED });
}

function ethParams(h: Harness, payout: Awaited<ReturnType<typeof claimEthPayout>>, leaseSeconds: number) {
  const assets = buildAssetTable(h.anvil.chainId, JSON.parse(h.env.ASSETS!));
  return {
    payout,
    lease: { uniqueId: payout.uniqueId, owner: CRASHED, seconds: leaseSeconds },
    asset: resolveAsset(assets, { currency: 'eth', network: 'eth' }),
    feeCapWei: 300n * 10n ** 9n,
    priorityFeeWei: 2n * 10n ** 9n,
    gasMarginPercent: 20,
    feeBumpPercent: 15,
    receiptWaitMs: 300,
    confirmations: 1,
  };
}

/**
 * A delivery that signed and stored the transfer of `wei` to `to` and died before broadcasting it (or
 * between the node's refusal and the take-back): the nonce is handed out, nothing of it is in the node's
 * pool, and the dead delivery's lease holds the payout for `leaseSeconds`.
 */
export async function signAndDie(h: Harness, uniqueId: string, to: string, wei: bigint, leaseSeconds = 600) {
  const payout = await claimEthPayout(h, uniqueId, to, wei, leaseSeconds);
  const chain = chainFor(h);
  try {
    return await signAndStoreTransfer(chain, h.db.sql, ethParams(h, payout, leaseSeconds), 0);
  } finally {
    chain.provider.destroy();
  }
}

/**
 * An attempt that broadcast 0.01 ETH to `to` and died before it could schedule anything: attempt 1 counted,
 * the transfer stored and sent while mining is stopped, the payout left `submitted` with no task and no
 * lease. Mining stays stopped.
 */
export async function broadcastAndCrash(h: Harness, uniqueId: string, to: string): Promise<void> {
  const payout = await claimEthPayout(h, uniqueId, to, 10n ** 16n, 30);
  await setAutomine(h.anvil.rpcUrl, false);
  const chain = chainFor(h);
  try {
    const outcome = await advancePayout(chain, h.db.sql, ethParams(h, payout, 30));
    assert.equal(outcome.kind, 'pending');
    await markPayoutSubmitted(h.db.sql, { uniqueId });
    await releaseLease(h.db.sql, { uniqueId, leaseOwner: CRASHED });
  } finally {
    chain.provider.destroy();
  }
}

/** An operator's request to a function (adminApi, recoverPayments), as `test-operator` in the local mode. */
export async function operatorCall(url: string, method: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-operator': 'test-operator' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The failure row an operator finds for a 0.01 ETH payout whose transfer may still be mined. */
export function recordTimeoutFailure(h: Harness, uniqueId: string, to: string) {
  return insertFailedTransaction(h.db.sql, {
    uniqueId,
    cnApiId: 'cn-test',
    fromCurrency: 'eth',
    fromNetwork: 'eth',
    fromAmount: '0.01',
    payinAddress: to,
    context: 'instant',
    errorCode: 'CONFIRMATION_TIMEOUT',
    errorMessage: 'not mined in time',
    attemptCount: 3,
  });
}

/** The operator cancels the payout: failed_cancelled on its failure row. */
export function cancelRequest(h: Harness, uniqueId: string) {
  return operatorCall(`${h.urls.adminApi}/failed-transactions/${uniqueId}/status`, 'PUT', {
    status: 'failed_cancelled',
    admin_notes: 'customer withdrew',
  });
}
