import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { HostpayError } from '../../../shared/errors.js';
import {
  decodePaymentCompleted,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentRequest,
  encodeRetryToken,
  type PaymentCompletedInput,
  type PaymentRequest,
  type PaymentRequestInput,
} from '../../../shared/token/index.js';
import { readVectors, SHARED_VECTORS_DIR, VECTORS_DIR } from '../../support/vectors.js';

interface Vector {
  name: string;
  encoder_input: PaymentRequestInput;
  token: string;
  decoded: PaymentRequest;
}
interface Rejection {
  name: string;
  token: string;
  original_error: string;
}
interface TokenVectors {
  signing_key: string;
  fixed_time_time: number;
  hp1_to_hp3_vectors: Vector[];
  legacy_vectors_as_sent_by_hostpay1: Vector[];
  retry_token_vector: { error_code: string; token: string; decoded: PaymentRequest };
  hp3_to_hp1_response_vector: {
    encoder_input: PaymentCompletedInput;
    token: string;
    decoded_by_hostpay1: unknown;
  };
  tampered_must_reject: Rejection[];
  other_rejections: Rejection[];
  timestamp_window_boundaries: {
    token_timestamp: number;
    token: string;
    decode_time: number;
    accepted: boolean;
  }[];
  decoder_leniency: { padded_variant_accepted: boolean; standard_alphabet_variant_accepted: boolean };
}

const V = readVectors<TokenVectors>('upstream_tokens.json');
const KEY = V.signing_key;
const NOW = V.fixed_time_time;
const opts = (now = NOW) => ({ keys: { current: KEY }, freshness: { now } });
const ALL_REQUESTS = [...V.hp1_to_hp3_vectors, ...V.legacy_vectors_as_sent_by_hostpay1];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HostpayError, `expected a HostpayError, got ${String(error)}`);
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

describe('token codec against the upstream vectors', () => {
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

  for (const vector of ALL_REQUESTS) {
    it(`decodes ${vector.name} to exactly the upstream's fields`, () => {
      assert.deepEqual(decodePaymentRequest(vector.token, opts()), vector.decoded);
    });
  }

  for (const vector of V.hp1_to_hp3_vectors) {
    it(`re-encodes ${vector.name} to exactly the upstream's token`, () => {
      assert.equal(encodePaymentRequest(vector.encoder_input, { key: KEY, now: NOW }), vector.token);
    });
  }

  for (const vector of V.legacy_vectors_as_sent_by_hostpay1) {
    it(`re-encodes ${vector.name} in HostPay1's layout without the retry block`, () => {
      const token = encodePaymentRequest(vector.encoder_input, { key: KEY, now: NOW, retryBlock: false });
      assert.equal(token, vector.token);
    });
  }

  it('writes the retry token of the vector: next attempt, first attempt kept, error set', () => {
    const first = decodePaymentRequest(V.hp1_to_hp3_vectors[0]!.token, opts());
    const token = encodeRetryToken(first, { errorCode: V.retry_token_vector.error_code, now: NOW, key: KEY });
    assert.equal(token, V.retry_token_vector.token);
    assert.deepEqual(decodePaymentRequest(token, opts()), V.retry_token_vector.decoded);
  });

  it('writes the retry token of the vector from the legacy form HostPay1 sends', () => {
    const first = decodePaymentRequest(V.legacy_vectors_as_sent_by_hostpay1[0]!.token, opts());
    const token = encodeRetryToken(first, { errorCode: V.retry_token_vector.error_code, now: NOW, key: KEY });
    assert.equal(token, V.retry_token_vector.token);
  });

  it('writes the payment-completed token HostPay1 decodes, and reads it back', () => {
    const r = V.hp3_to_hp1_response_vector;
    assert.equal(encodePaymentCompleted(r.encoder_input, { key: KEY, now: NOW }), r.token);
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
    const age = boundary.decode_time - boundary.token_timestamp;
    const when = age >= 0 ? `${age} s old` : `${-age} s in the future`;
    it(`${boundary.accepted ? 'accepts' : 'rejects as TOKEN_EXPIRED'} a token ${when}`, () => {
      const code = codeOf(() => decodePaymentRequest(boundary.token, opts(boundary.decode_time)));
      assert.equal(code, boundary.accepted ? 'ACCEPTED' : 'TOKEN_EXPIRED');
    });
  }

  describe('decoder leniency, like the upstream decoder', () => {
    const padded = (token: string) => token.padEnd(Math.ceil(token.length / 4) * 4, '=');
    const standard = (token: string) => token.replace(/-/g, '+').replace(/_/g, '/');

    it('the vectors exercise both: some need padding, some use - or _', () => {
      assert.ok(
        V.decoder_leniency.padded_variant_accepted && V.decoder_leniency.standard_alphabet_variant_accepted,
      );
      assert.ok(ALL_REQUESTS.some((vector) => padded(vector.token) !== vector.token));
      assert.ok(ALL_REQUESTS.some((vector) => standard(vector.token) !== vector.token));
    });

    for (const vector of ALL_REQUESTS) {
      it(`accepts ${vector.name} padded, in the standard alphabet, and both`, () => {
        for (const form of [padded(vector.token), standard(vector.token), padded(standard(vector.token))]) {
          assert.deepEqual(decodePaymentRequest(form, opts()), vector.decoded, form);
        }
      });
    }
  });
});
