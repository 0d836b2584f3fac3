/** Valid ledger inputs for database tests. */
import { randomBytes } from 'node:crypto';
import type { PayoutRequest } from '../../shared/db/claimPayout.js';
import type { FailedTransactionParams } from '../../shared/db/insertFailedTransaction.js';

export const RECIPIENT = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
export const WALLET = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
export const USDT_MAINNET = '0xdAC17F958D2ee523a2206206994597C13D831ec7';

/** A `batch_<uuid>` id: 42 characters, like the upstream's batch payouts. */
export function batchId(): string {
  return `batch_${crypto.randomUUID()}`;
}

export function randomHash(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

export function payoutRequest(overrides: Partial<PayoutRequest> = {}): PayoutRequest {
  return {
    uniqueId: batchId(),
    cnApiId: 'cn_api_1',
    context: 'batch',
    currency: 'usdt',
    network: 'eth',
    chainId: 1,
    assetAddress: USDT_MAINNET,
    decimals: 6,
    recipient: RECIPIENT,
    amountDecimal: '3.11693635',
    amountBaseUnits: 3116936n,
    ...overrides,
  };
}

export function failureParams(overrides: Partial<FailedTransactionParams> = {}): FailedTransactionParams {
  return {
    uniqueId: batchId(),
    cnApiId: 'cn_api_1',
    fromCurrency: 'usdt',
    fromNetwork: 'eth',
    fromAmount: '3.11693635',
    payinAddress: RECIPIENT,
    context: 'batch',
    errorCode: 'INSUFFICIENT_FUNDS',
    errorMessage: 'The hot wallet cannot cover the amount plus fees.',
    attemptCount: 1,
    ...overrides,
  };
}
