/** Byte layout primitives of the upstream token format (docs/tokens.md, "Common rules"). */
import { HostpayError } from '../errors.js';

/** Longest string a u8 length prefix can announce. */
export const MAX_STRING_BYTES = 255;

function malformed(message: string): HostpayError {
  return new HostpayError('TOKEN_MALFORMED', message);
}

/** Appends fields in the upstream's order: u8-length strings, big-endian numbers. Bad input is a RangeError. */
export class TokenWriter {
  private readonly parts: Buffer[] = [];

  str(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > MAX_STRING_BYTES) {
      throw new RangeError(`string of ${bytes.length} bytes exceeds ${MAX_STRING_BYTES}`);
    }
    this.parts.push(Buffer.from([bytes.length]), bytes);
    return this;
  }

  f64(value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    this.parts.push(b);
    return this;
  }

  u32(value: number): this {
    // Buffer range-checks but silently truncates fractions.
    if (!Number.isInteger(value)) throw new RangeError(`u32 value ${value} is not an integer`);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }

  u64(value: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(value));
    this.parts.push(b);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * Reads fields in order; an overrun is a TOKEN_MALFORMED error naming the field. Text that is not UTF-8 is
 * only reported by `checkText`, so the signature is judged before the contents.
 */
export class TokenReader {
  private offset = 0;
  private badText: string | null = null;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private take(n: number, what: string): Buffer {
    if (this.remaining < n) throw malformed(`token cut short in ${what}`);
    const slice = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return slice;
  }

  str(what: string): string {
    const length = this.take(1, what)[0]!;
    const bytes = this.take(length, what);
    const text = bytes.toString('utf8');
    // Decoding replaces invalid sequences, so a lossless round trip is the validity test.
    if (this.badText === null && !Buffer.from(text, 'utf8').equals(bytes)) this.badText = what;
    return text;
  }

  f64(what: string): number {
    return this.take(8, what).readDoubleBE();
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32BE();
  }

  u64(what: string): bigint {
    return this.take(8, what).readBigUInt64BE();
  }

  /** Throws TOKEN_MALFORMED naming the first string field that was not valid UTF-8. */
  checkText(): void {
    if (this.badText !== null) throw malformed(`${this.badText} is not valid UTF-8`);
  }
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let size = 0;
  for (const char of text) {
    const n = Buffer.byteLength(char, 'utf8');
    if (size + n > maxBytes) break;
    out += char;
    size += n;
  }
  return out;
}
