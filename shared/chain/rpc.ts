/** Typed reads of JSON-RPC results (EIP-1474 quantities and data). */
import { getBigInt, toQuantity } from 'ethers';

/** A hex quantity as a bigint; anything else is a malformed node answer. */
export function quantity(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new Error(`node answered a malformed ${field}: ${String(value).slice(0, 80)}`);
  }
  return getBigInt(value);
}

/** A hex quantity that fits a JavaScript number (block numbers, nonces). */
export function smallQuantity(value: unknown, field: string): number {
  const big = quantity(value, field);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`node answered an oversized ${field}`);
  return Number(big);
}

export function hexQuantity(value: bigint | number): string {
  return toQuantity(value);
}
