/** The ERC-20 calls hostpay makes: `transfer`, `balanceOf`, and the `Transfer` event that proves a move. */
import { getAddress, getBigInt, Interface, zeroPadValue } from 'ethers';
import type { Asset } from '../assets.js';
import type { MinedReceipt } from './receipt.js';

/**
 * `transfer` is declared without outputs: calldata is the same, and nothing ever decodes a return value,
 * so a USDT-like token that returns nothing from `transfer` works like any other.
 */
export const ERC20 = new Interface([
  'function transfer(address to, uint256 amount)',
  'function balanceOf(address owner) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);

export const TRANSFER_TOPIC = ERC20.getEvent('Transfer')!.topicHash;

export function encodeTokenTransfer(to: string, amount: bigint): string {
  return ERC20.encodeFunctionData('transfer', [to, amount]);
}

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
