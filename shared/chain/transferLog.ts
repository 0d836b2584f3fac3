/** What a mined payout did, read from its receipt (a token's return value is never decoded). */
import { getAddress, getBigInt, zeroPadValue } from 'ethers';
import type { Asset } from '../assets.js';
import { TRANSFER_TOPIC } from './erc20.js';
import type { MinedReceipt } from './receipt.js';

/**
 * True when `receipt` succeeded and moved `amount` of `asset` from `from` to `to`: for a token, a
 * `Transfer(from, to, amount)` log of its contract (USDT-like tokens return nothing, and a token that
 * returns false without reverting logs nothing); for ETH, a successful transaction sent to `to`
 * (the value is in the signed bytes, which hostpay built).
 */
export function receiptShowsTransfer(
  receipt: MinedReceipt,
  asset: Asset,
  params: { from: string; to: string; amount: bigint },
): boolean {
  if (receipt.status !== 1) return false;
  if (asset.kind === 'native') return receipt.to !== null && receipt.to === getAddress(params.to);
  const token = getAddress(asset.address);
  const fromTopic = zeroPadValue(getAddress(params.from), 32).toLowerCase();
  const toTopic = zeroPadValue(getAddress(params.to), 32).toLowerCase();
  return receipt.logs.some(
    (log) =>
      log.address === token &&
      log.topics.length === 3 &&
      log.topics[0] === TRANSFER_TOPIC &&
      log.topics[1] === fromTopic &&
      log.topics[2] === toTopic &&
      log.data.length === 66 &&
      getBigInt(log.data) === params.amount,
  );
}
