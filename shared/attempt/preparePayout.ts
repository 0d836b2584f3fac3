/** The request's contents as a ledger row (docs/architecture.md, "Invariants and where they are enforced" and "The flow"): asset, exact amount and cap, recipient. */
import { type AssetTable, resolveAsset } from '../assets.js';
import { validateRecipient } from '../chain/recipient.js';
import type { Config } from '../config/index.js';
import type { PayoutRequest } from '../db/index.js';
import { HostpayError } from '../errors.js';
import { decimalFromDouble, toBaseUnits } from '../money.js';
import { hasControlCharacter } from '../text.js';
import type { PaymentRequest } from './tokens.js';

/**
 * Throws a permanent HostpayError (UNSUPPORTED_CURRENCY, INVALID_AMOUNT, INVALID_ADDRESS) before anything is
 * stored or signed. The double becomes its shortest decimal form first, then base units rounded down.
 */
export function preparePayout(
  deps: { config: Config; assets: AssetTable },
  request: PaymentRequest,
): PayoutRequest {
  const asset = resolveAsset(deps.assets, { currency: request.from_currency, network: request.from_network });
  const amountDecimal = decimalFromDouble(request.from_amount);
  const amountBaseUnits = toBaseUnits(amountDecimal, asset.decimals);
  const cap = deps.config.paymentCaps?.[asset.symbol];
  if (cap === undefined) {
    throw new HostpayError('UNSUPPORTED_CURRENCY', `no payment cap is configured for ${asset.symbol}`);
  }
  if (amountBaseUnits > toBaseUnits(cap, asset.decimals)) {
    throw new HostpayError('INVALID_AMOUNT', `${amountDecimal} ${asset.symbol} is above the cap of ${cap}`);
  }
  return {
    uniqueId: request.unique_id,
    cnApiId: request.cn_api_id,
    context: request.context,
    currency: asset.symbol,
    network: asset.network,
    chainId: asset.chainId,
    assetAddress: asset.kind === 'erc20' ? asset.address : null,
    decimals: asset.decimals,
    recipient: validateRecipient(request.payin_address),
    amountDecimal,
    amountBaseUnits,
  };
}

/**
 * Refuses (INVALID_REQUEST, permanent) a signed request whose identifiers the ledger cannot take; runs before
 * any database access, so such a request is recorded as a failure (with the characters replaced there)
 * instead of failing every delivery.
 */
export function refuseUnstorable(request: Pick<PaymentRequest, 'unique_id' | 'cn_api_id'>): void {
  for (const field of ['unique_id', 'cn_api_id'] as const) {
    if (hasControlCharacter(request[field])) {
      throw new HostpayError('INVALID_REQUEST', `${field} holds a control character`);
    }
  }
}
