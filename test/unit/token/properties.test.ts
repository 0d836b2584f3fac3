import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodePaymentCompleted,
  decodePaymentFailed,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentFailed,
  encodePaymentRequest,
  encodeRetryToken,
  MIN_TOKEN_BYTES,
} from '../../../shared/token/index.js';

const KEY = 'property-test-key-0c4b8a';
const noWindow = { keys: { current: KEY }, freshness: null };

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

// Characters of 1 to 4 UTF-8 bytes, so string limits are hit in every alignment.
const char = fc.oneof(
  fc.constantFrom('a', 'Z', '0', '_', 'é', 'ß', '€', '中', '😀', '𝄞'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

/** Strings of at most 255 UTF-8 bytes, often filled to the brim. */
function text(minChars = 0) {
  return fc.array(char, { minLength: minChars, maxLength: 255 }).map((chars) => {
    let out = '';
    for (const c of chars) {
      if (utf8(out + c) > 255) break;
      out += c;
    }
    return out;
  });
}
const full = text().map((s) => s + 'a'.repeat(255 - utf8(s)));
const anyText = fc.oneof(text(), full);
const nonEmpty = fc.oneof(text(1), full).filter((s) => s.length > 0);
const lower = anyText.filter((s) => s === s.toLowerCase());
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const request = fc.record({
  unique_id: nonEmpty,
  cn_api_id: anyText,
  from_currency: lower,
  from_network: lower,
  from_amount: fc.double(),
  payin_address: anyText,
  context: fc.constantFrom('instant', 'threshold', 'batch'),
  attempt_count: fc.integer({ min: 1, max: 0xffffffff }),
  first_attempt_at: u32,
  last_error_code: fc.option(nonEmpty, { nil: null }),
});
type RequestFields = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** The layout's size, counted independently of the codec. */
function requestBytes(r: RequestFields, retryBlock: boolean): number {
  const strings = [r.unique_id, r.cn_api_id, r.from_currency, r.from_network, r.payin_address, r.context];
  const head = strings.reduce((sum, s) => sum + 1 + utf8(s), 8);
  const retry = retryBlock ? 4 + 4 + 1 + utf8(r.last_error_code ?? '') : 0;
  return head + retry + 4 + 16;
}

describe('token round-trip properties', () => {
  it('decodes every encoded payment request to its fields, and sizes it as the layout says', () => {
    fc.assert(
      fc.property(request, u32, (fields, now) => {
        const size = requestBytes(fields, true);
        if (size < MIN_TOKEN_BYTES) {
          assert.throws(() => encodePaymentRequest(fields, { key: KEY, now }), RangeError);
          return;
        }
        const token = encodePaymentRequest(fields, { key: KEY, now });
        assert.equal(Buffer.from(token, 'base64url').length, size);
        assert.match(token, /^[A-Za-z0-9_-]+$/);
        const options = { keys: { current: KEY }, freshness: { now } };
        assert.deepEqual(decodePaymentRequest(token, options), { ...fields, timestamp: now });
      }),
      { numRuns: 400 },
    );
  });

  it("decodes HostPay1's layout without the retry block as a first attempt at the token's time", () => {
    fc.assert(
      fc.property(request, u32, (fields, now) => {
        fc.pre(requestBytes(fields, false) >= MIN_TOKEN_BYTES);
        const token = encodePaymentRequest(fields, { key: KEY, now, retryBlock: false });
        assert.equal(Buffer.from(token, 'base64url').length, requestBytes(fields, false));
        assert.deepEqual(decodePaymentRequest(token, noWindow), {
          ...fields,
          attempt_count: 1,
          first_attempt_at: now,
          last_error_code: null,
          timestamp: now,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('writes retry tokens that add one attempt, keep the first attempt and carry the error', () => {
    fc.assert(
      fc.property(
        request.filter((r) => r.attempt_count < 0xffffffff),
        nonEmpty,
        u32,
        u32,
        (fields, errorCode, then, now) => {
          fc.pre(requestBytes(fields, true) >= MIN_TOKEN_BYTES);
          const decoded = decodePaymentRequest(
            encodePaymentRequest(fields, { key: KEY, now: then }),
            noWindow,
          );
          const retry = decodePaymentRequest(
            encodeRetryToken(decoded, { errorCode, now, key: KEY }),
            noWindow,
          );
          assert.deepEqual(retry, {
            ...decoded,
            attempt_count: fields.attempt_count + 1,
            last_error_code: errorCode,
            timestamp: now,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips payment-failed tokens, the message cut to at most 255 bytes as a prefix', () => {
    const longMessage = fc.array(char, { maxLength: 400 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(
        fc.record({
          unique_id: nonEmpty,
          cn_api_id: anyText,
          error_code: nonEmpty,
          error_message: fc.oneof(longMessage, anyText),
          attempt_count: u32,
          context: anyText,
        }),
        u32,
        (fields, now) => {
          const decoded = decodePaymentFailed(encodePaymentFailed(fields, { key: KEY, now }), noWindow);
          const { error_message, ...rest } = decoded;
          assert.deepEqual(rest, { ...withoutMessage(fields), timestamp: now });
          assert.ok(utf8(error_message) <= 255);
          assert.ok(fields.error_message.startsWith(error_message));
          if (utf8(fields.error_message) <= 255) {
            assert.equal(error_message, fields.error_message);
          } else {
            // Cut at the last whole character that fits: the next one would not have.
            const next = [...fields.error_message.slice(error_message.length)][0] ?? '';
            assert.ok(utf8(error_message) + utf8(next) > 255);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips payment-completed tokens with any safe u64 chain numbers', () => {
    const hash = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((bytes) => `0x${Buffer.from(bytes).toString('hex')}`);
    const safe = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) });
    fc.assert(
      fc.property(
        fc.record({
          unique_id: nonEmpty,
          cn_api_id: anyText,
          tx_hash: hash,
          tx_status: fc.constantFrom('success', 'reverted'),
          gas_used: safe,
          block_number: safe,
        }),
        u32,
        (fields, now) => {
          const decoded = decodePaymentCompleted(encodePaymentCompleted(fields, { key: KEY, now }), noWindow);
          assert.deepEqual(decoded, {
            ...fields,
            gas_used: Number(fields.gas_used),
            block_number: Number(fields.block_number),
            timestamp: now,
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

function withoutMessage<T extends { error_message: string }>(fields: T): Omit<T, 'error_message'> {
  const { error_message: _, ...rest } = fields;
  return rest;
}
