/** Exact decimal amounts and base units (docs/architecture.md, "Invariants and where they are enforced"): strings and bigints only, never float arithmetic. */
import { HostpayError } from './errors.js';

/** A uint256 holds at most 78 decimal digits; anything longer cannot be a transfer amount. */
export const MAX_AMOUNT_DIGITS = 78;

const MAX_UINT256 = (1n << 256n) - 1n;
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const EXPONENT_FORM = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/;

function invalidAmount(message: string, details: Record<string, unknown> = {}): HostpayError {
  return new HostpayError('INVALID_AMOUNT', message, { details });
}

function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_AMOUNT_DIGITS) {
    throw new RangeError(`decimals must be an integer from 0 to ${MAX_AMOUNT_DIGITS}, got ${decimals}`);
  }
}

/** Cuts long user input so an error message stays one readable line. */
function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * The decimal amount a double stands for: its shortest round-trip form (what `String(n)` prints),
 * with exponent forms written out by moving the decimal point, so `1e-7` becomes `"0.0000001"`
 * — the amount the upstream meant, exact (docs/architecture.md, "Invariants and where they are enforced"). NaN
 * and infinities are `INVALID_AMOUNT`.
 */
export function decimalFromDouble(n: number): string {
  if (!Number.isFinite(n)) throw invalidAmount(`amount ${String(n)} is not a finite number`);
  const shortest = String(n);
  const match = EXPONENT_FORM.exec(shortest);
  if (match === null) return shortest;
  const [, sign = '', intDigits = '', fracDigits = '', exponentText = '0'] = match;
  const digits = intDigits + fracDigits;
  // Position of the decimal point within `digits` once the exponent is applied.
  const point = intDigits.length + Number(exponentText);
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + plain;
}

/**
 * Converts a plain decimal string (`"1.005"`) to base units for `decimals`, rounding down: digits
 * beyond `decimals` are dropped, so a payout is never more than asked (docs/architecture.md, "Invariants and where they are enforced").
 * Rejects with `INVALID_AMOUNT`: empty, signs, exponent forms, anything but digits and one point,
 * more than 78 digits, zero (also after rounding down), or more than a uint256 holds.
 */
export function toBaseUnits(decimal: string, decimals: number): bigint {
  checkDecimals(decimals);
  if (typeof decimal !== 'string' || decimal === '') throw invalidAmount('amount is empty');
  const match = PLAIN_DECIMAL.exec(decimal);
  if (match === null) {
    const why = decimal.startsWith('-')
      ? 'is negative'
      : /e/i.test(decimal)
        ? 'is in exponent form'
        : 'is not a plain decimal number';
    throw invalidAmount(`amount "${preview(decimal)}" ${why}`);
  }
  const [, intPart = '', fracPart = ''] = match;
  if (intPart.length + fracPart.length > MAX_AMOUNT_DIGITS) {
    throw invalidAmount(`amount has more than ${MAX_AMOUNT_DIGITS} digits`, {
      digits: intPart.length + fracPart.length,
    });
  }
  const kept = fracPart.slice(0, decimals).padEnd(decimals, '0');
  const units = BigInt(intPart + kept);
  if (units === 0n) {
    throw invalidAmount(
      /[1-9]/.test(decimal)
        ? `amount ${preview(decimal)} rounds down to zero at ${decimals} decimals`
        : 'amount is zero',
    );
  }
  if (units > MAX_UINT256) throw invalidAmount('amount does not fit in 256 bits of base units');
  return units;
}

/** Writes base units as an exact decimal string with no trailing zeros (`1005000n`, 6 → `"1.005"`). */
export function formatBaseUnits(units: bigint, decimals: number): string {
  checkDecimals(decimals);
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(decimals + 1, '0');
  const intPart = digits.slice(0, digits.length - decimals);
  const fracPart = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return sign + (fracPart === '' ? intPart : `${intPart}.${fracPart}`);
}
