/** Conversions of column values as postgres.js returns them (int8 and numeric arrive as strings). */

export type Row = Record<string, unknown>;

export function toNumber(value: unknown): number {
  const result = Number(value);
  if (!Number.isSafeInteger(result)) throw new TypeError(`not a safe integer: ${String(value)}`);
  return result;
}

export const toNumberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : toNumber(value);

export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' || typeof value === 'number') return BigInt(value);
  throw new TypeError(`not an integer: ${String(value)}`);
}

export const toBigIntOrNull = (value: unknown): bigint | null =>
  value === null || value === undefined ? null : toBigInt(value);

export const toStringOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

export const toDateOrNull = (value: unknown): Date | null =>
  value === null || value === undefined ? null : toDate(value);

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(String(value));
}

/** bytea arrives as a Buffer; callers (ethers) speak 0x-prefixed hex. */
export function toHex(value: unknown): string {
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  throw new TypeError('not a byte array');
}

/** NUMERIC parameters travel as text so no value passes through a JavaScript number. */
export const numericParam = (value: bigint): string => value.toString();
