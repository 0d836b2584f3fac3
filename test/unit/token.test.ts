import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { HostpayError } from '../../shared/errors.js';
import {
  decodePaymentCompleted,
  decodePaymentFailed,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentFailed,
  encodePaymentRequest,
  encodeRetryToken,
  type PaymentRequest,
  truncateUtf8,
} from '../../shared/token/index.js';
import { readVectors, SHARED_VECTORS_DIR, VECTORS_DIR } from '../support/vectors.js';

interface Vector {
  name: string;
  encoder_input: Record<string, unknown>;
  token: string;
  decoded: PaymentRequest;
}
interface TokenVectors {
  signing_key: string;
  fixed_time_time: number;
  hp1_to_hp3_vectors: Vector[];
  legacy_vectors_as_sent_by_hostpay1: Vector[];
  retry_token_vector: { error_code: string; token: string; decoded: PaymentRequest };
  hp3_to_hp1_response_vector: {
    encoder_input: Record<string, unknown>;
    token: string;
    decoded_by_hostpay1: unknown;
  };
  tampered_must_reject: { name: string; token: string; original_error: string }[];
  other_rejections: { name: string; token: string; original_error: string }[];
  timestamp_window_boundaries: {
    token: string;
    decode_time: number;
    accepted: boolean;
    original_error: string | null;
  }[];
}

const V = readVectors<TokenVectors>('upstream_tokens.json');
const KEY = V.signing_key;
const NOW = V.fixed_time_time;
const opts = (now = NOW) => ({ keys: { current: KEY }, freshness: { now } });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HostpayError, `expected a HostpayError, got ${String(error)}`);
    assert.ok(!error.message.includes(KEY), 'error message must not contain the key');
    return error.code;
  }
  return 'ACCEPTED';
}

// The upstream's own error text says which of our codes it is.
function expectedCode(original: string): string {
  if (/Signature mismatch/.test(original)) return 'TOKEN_BAD_SIGNATURE';
  if (/expired/i.test(original)) return 'TOKEN_EXPIRED';
  return 'TOKEN_MALFORMED';
}

describe('token codec', () => {
  it('keeps the committed vectors equal to the shared ones when they are beside the repo', function () {
    if (!existsSync(SHARED_VECTORS_DIR)) this.skip();
    for (const name of ['upstream_tokens.json', 'classifier_cases.json']) {
      assert.equal(
        readFileSync(new URL(name, VECTORS_DIR), 'utf8'),
        readFileSync(new URL(name, SHARED_VECTORS_DIR), 'utf8'),
        name,
      );
    }
  });

  for (const vector of [...V.hp1_to_hp3_vectors, ...V.legacy_vectors_as_sent_by_hostpay1]) {
    it(`decodes ${vector.name} to exactly the upstream's fields`, () => {
      assert.deepEqual(decodePaymentRequest(vector.token, opts()), vector.decoded);
    });
  }

  for (const vector of V.hp1_to_hp3_vectors) {
    it(`re-encodes ${vector.name} to exactly the upstream's token`, () => {
      const input = vector.encoder_input as unknown as Parameters<typeof encodePaymentRequest>[0];
      assert.equal(encodePaymentRequest(input, { key: KEY, now: NOW }), vector.token);
    });
  }

  for (const vector of V.legacy_vectors_as_sent_by_hostpay1) {
    it(`re-encodes ${vector.name} in HostPay1's layout without the retry block`, () => {
      const input = vector.encoder_input as unknown as Parameters<typeof encodePaymentRequest>[0];
      assert.equal(encodePaymentRequest(input, { key: KEY, now: NOW, retryBlock: false }), vector.token);
    });
  }

  it('writes the retry token of the vector: next attempt, first attempt kept, error set', () => {
    const first = decodePaymentRequest(V.hp1_to_hp3_vectors[0]!.token, opts());
    const token = encodeRetryToken(first, { errorCode: V.retry_token_vector.error_code, now: NOW, key: KEY });
    assert.equal(token, V.retry_token_vector.token);
    assert.deepEqual(decodePaymentRequest(token, opts()), V.retry_token_vector.decoded);
  });

  it('writes the payment-completed token HostPay1 decodes', () => {
    const r = V.hp3_to_hp1_response_vector;
    const input = r.encoder_input as Parameters<typeof encodePaymentCompleted>[0];
    assert.equal(encodePaymentCompleted(input, { key: KEY, now: NOW }), r.token);
    assert.deepEqual(decodePaymentCompleted(r.token, opts()), r.decoded_by_hostpay1);
  });

  for (const rejection of [...V.tampered_must_reject, ...V.other_rejections]) {
    it(`rejects ${rejection.name} as ${expectedCode(rejection.original_error)}`, () => {
      assert.equal(
        codeOf(() => decodePaymentRequest(rejection.token, opts())),
        expectedCode(rejection.original_error),
      );
    });
  }

  for (const boundary of V.timestamp_window_boundaries) {
    it(`${boundary.accepted ? 'accepts' : 'rejects'} a token at the window edge (${boundary.token.slice(-6)})`, () => {
      const code = codeOf(() => decodePaymentRequest(boundary.token, opts(boundary.decode_time)));
      assert.equal(code, boundary.accepted ? 'ACCEPTED' : 'TOKEN_EXPIRED');
    });
  }

  it('carries the verified fields of an expired token, so it can be recorded', () => {
    const token = V.hp1_to_hp3_vectors[0]!.token;
    try {
      decodePaymentRequest(token, opts(NOW + 7201));
      assert.fail('expected TOKEN_EXPIRED');
    } catch (error) {
      assert.ok(error instanceof HostpayError && error.code === 'TOKEN_EXPIRED');
      assert.deepEqual(error.details.request, V.hp1_to_hp3_vectors[0]!.decoded);
    }
  });

  it('accepts padded and standard-alphabet forms like the upstream decoder', () => {
    const token = V.hp1_to_hp3_vectors[1]!.token;
    const standard = Buffer.from(token, 'base64url').toString('base64');
    assert.ok(standard.includes('+') || standard.includes('/') || standard.endsWith('='));
    assert.deepEqual(decodePaymentRequest(standard, opts()), V.hp1_to_hp3_vectors[1]!.decoded);
  });

  it('accepts the previous key during a rotation and refuses an unknown one', () => {
    const token = V.hp1_to_hp3_vectors[0]!.token;
    const rotated = { keys: { current: 'new-key-0123456789abcdef', previous: KEY }, freshness: { now: NOW } };
    assert.equal(decodePaymentRequest(token, rotated).unique_id, 'WSX7UCQ1NZ4K3PBE');
    const unknown = { keys: { current: 'new-key-0123456789abcdef' }, freshness: { now: NOW } };
    assert.equal(
      codeOf(() => decodePaymentRequest(token, unknown)),
      'TOKEN_BAD_SIGNATURE',
    );
  });

  it('rejects every single-byte change of a valid token', () => {
    for (const vector of [V.hp1_to_hp3_vectors[0]!, V.legacy_vectors_as_sent_by_hostpay1[0]!]) {
      const raw = Buffer.from(vector.token, 'base64url');
      for (let i = 0; i < raw.length; i++) {
        for (const flip of [0x01, 0x80, 0xff]) {
          const changed = Buffer.from(raw);
          changed[i] = changed[i]! ^ flip;
          const code = codeOf(() => decodePaymentRequest(changed.toString('base64url'), opts()));
          assert.notEqual(code, 'ACCEPTED', `byte ${i} ^ ${flip} was accepted`);
        }
      }
    }
  });

  it('rejects text that is not base64 and tokens too small to hold a layout', () => {
    assert.equal(
      codeOf(() => decodePaymentRequest('not*base64', opts())),
      'TOKEN_MALFORMED',
    );
    assert.equal(
      codeOf(() => decodePaymentRequest(Buffer.alloc(51).toString('base64url'), opts())),
      'TOKEN_MALFORMED',
    );
  });

  const text = (max: number) =>
    fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => Buffer.byteLength(s) <= 255);
  const u32 = fc.integer({ min: 0, max: 0xffffffff });

  it('round-trips random payment requests, multibyte and 255-byte strings included', () => {
    fc.assert(
      fc.property(
        fc.record({
          unique_id: text(255).filter((s) => s.length > 0),
          cn_api_id: text(255),
          from_currency: text(40)
            .map((s) => s.toLowerCase())
            .filter((s) => s === s.toUpperCase().toLowerCase() && !/[A-Z]/.test(s)),
          from_network: fc.constantFrom('eth', 'polygon', ''),
          from_amount: fc.double(),
          payin_address: text(255),
          context: fc.constantFrom('instant', 'threshold', 'batch'),
          attempt_count: fc.integer({ min: 1, max: 0xffffffff }),
          first_attempt_at: u32,
          last_error_code: fc.option(
            text(255).filter((s) => s.length > 0),
            { nil: null },
          ),
        }),
        u32,
        (input, now) => {
          const token = encodePaymentRequest(input, { key: KEY, now });
          const decoded = decodePaymentRequest(token, opts(now));
          assert.deepEqual(decoded, { ...input, timestamp: now });
        },
      ),
      { numRuns: 300 },
    );
    const long = `${'é'.repeat(127)}a`;
    assert.equal(Buffer.byteLength(long), 255);
    const token = encodePaymentRequest(
      { ...V.hp1_to_hp3_vectors[0]!.decoded, unique_id: long, cn_api_id: long },
      { key: KEY, now: NOW },
    );
    assert.equal(decodePaymentRequest(token, opts()).unique_id, long);
  });

  it('round-trips payment-failed tokens and cuts the message to 255 bytes on a character boundary', () => {
    fc.assert(
      fc.property(
        text(255).filter((s) => s.length > 0),
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        u32,
        (id, message, now) => {
          const fields = {
            unique_id: id,
            cn_api_id: 'api',
            error_code: 'INSUFFICIENT_FUNDS',
            error_message: message,
            attempt_count: 3,
            context: 'batch',
          };
          const decoded = decodePaymentFailed(encodePaymentFailed(fields, { key: KEY, now }), opts(now));
          assert.deepEqual(decoded, { ...fields, error_message: truncateUtf8(message, 255), timestamp: now });
          assert.ok(Buffer.byteLength(decoded.error_message) <= 255);
        },
      ),
      { numRuns: 200 },
    );
    assert.equal(truncateUtf8('€'.repeat(100), 255), '€'.repeat(85));
  });
});
