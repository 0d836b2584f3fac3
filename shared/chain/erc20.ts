/** The ERC-20 calls hostpay makes: `transfer`, `balanceOf`, and the `Transfer` event that proves a move. */
import { Interface } from 'ethers';

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
