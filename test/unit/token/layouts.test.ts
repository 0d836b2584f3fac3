import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { HostpayError } from '../../../shared/errors.js';
import { TokenWriter } from '../../../shared/token/binary.js';
import {
  decodePaymentCompleted,
  decodePaymentFailed,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentFailed,
  encodePaymentRequest,
  encodeRetryToken,
  MIN_PAYMENT_FAILED_BYTES,
  truncateUtf8,
} from '../../../shared/token/index.js';
import { seal } from '../../../shared/token/signing.js';

const KEY = 'layout-test-key-5e7d21';
const NOW = 1_764_000_000;
const options = { keys: { current: KEY }, freshness: { now: NOW } };

const ADDRESS = '0x459b9C28A8e266d59Ff57A8206730A4a264d5A2e';

interface RawRequest {
  unique_id: string;
  cn_api_id: string;
  from_currency: string;
  from_network: string;
  from_amount: number;
  payin_address: string;
  context?: string | null;
  retry?: { attempt_count: number; first_attempt_at: number; last_error_code: string };
  timestamp: number;
}

const BASE: RawRequest & { context: string } = {
  unique_id: 'acc_12345',
  cn_api_id: '90aa16e18218ec',
  from_currency: 'eth',
  from_network: 'eth',
  from_amount: 0.5,
  payin_address: ADDRESS,
  context: 'instant',
  timestamp: NOW,
};

/** A signed payment request written field by field, bypassing the encoder's lower-casing and defaults. */
function signedRequest(fields: RawRequest, tail: Buffer = Buffer.alloc(0)): string {
  const w = new TokenWriter()
    .str(fields.unique_id)
    .str(fields.cn_api_id)
    .str(fields.from_currency)
    .str(fields.from_network)
    .f64(fields.from_amount)
    .str(fields.payin_address);
  if (fields.context !== null && fields.context !== undefined) w.str(fields.context);
  if (fields.retry) {
    w.u32(fields.retry.attempt_count).u32(fields.retry.first_attempt_at).str(fields.retry.last_error_code);
  }
  return seal(Buffer.concat([w.bytes(), tail, new TokenWriter().u32(fields.timestamp).bytes()]), KEY, 0);
}

function rejection(fn: () => unknown): HostpayError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HostpayError, `expected a HostpayError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('token layouts', () => {
  describe('payment request', () => {
    it('reads a token so old it has no context as an instant first attempt', () => {
      const token = signedRequest({ ...BASE, context: null });
      assert.deepEqual(decodePaymentRequest(token, options), {
        ...BASE,
        context: 'instant',
        attempt_count: 1,
        first_attempt_at: NOW,
        last_error_code: null,
      });
    });

    it('reads the retry block when present, an empty error code as null', () => {
      const retry = { attempt_count: 2, first_attempt_at: NOW - 60, last_error_code: '' };
      const decoded = decodePaymentRequest(signedRequest({ ...BASE, retry }), options);
      assert.deepEqual(
        {
          attempt_count: decoded.attempt_count,
          first: decoded.first_attempt_at,
          last: decoded.last_error_code,
        },
        { attempt_count: 2, first: NOW - 60, last: null },
      );
    });

    for (const extra of [1, 2, 3]) {
      it(`rejects ${20 + extra} bytes after the context (neither layout) as TOKEN_MALFORMED`, () => {
        const token = signedRequest(BASE, Buffer.alloc(extra));
        assert.equal(rejection(() => decodePaymentRequest(token, options)).code, 'TOKEN_MALFORMED');
      });
    }

    it('rejects a correctly signed request of 51 bytes as too small, and reads one of 52', () => {
      const tiny = {
        ...BASE,
        unique_id: 'u',
        cn_api_id: '',
        from_currency: '',
        from_network: '',
        context: 'batch',
      };
      const short = signedRequest({ ...tiny, payin_address: 'x'.repeat(11) });
      assert.equal(Buffer.from(short, 'base64url').length, 51);
      const error = rejection(() => decodePaymentRequest(short, options));
      assert.equal(error.code, 'TOKEN_MALFORMED');
      assert.match(error.message, /too small/);
      const enough = signedRequest({ ...tiny, payin_address: 'x'.repeat(12) });
      assert.equal(Buffer.from(enough, 'base64url').length, 52);
      assert.equal(decodePaymentRequest(enough, options).payin_address, 'x'.repeat(12));
    });

    it('rejects a string whose length runs past the end as TOKEN_MALFORMED naming the field', () => {
      const raw = Buffer.from(signedRequest(BASE), 'base64url');
      raw[0] = 255;
      const error = rejection(() => decodePaymentRequest(raw.toString('base64url'), options));
      assert.equal(error.code, 'TOKEN_MALFORMED');
      assert.match(error.message, /cut short in unique_id/);
    });

    it('rejects signed text that is not UTF-8 as TOKEN_MALFORMED naming the field', () => {
      const raw = Buffer.from(signedRequest(BASE), 'base64url');
      const payload = Buffer.from(raw.subarray(0, raw.length - 16));
      payload[1] = 0xff;
      const error = rejection(() => decodePaymentRequest(seal(payload, KEY, 0), options));
      assert.equal(error.code, 'TOKEN_MALFORMED');
      assert.match(error.message, /unique_id is not valid UTF-8/);
    });

    // A signed request with a bad address or amount is a recorded business failure, so the codec returns it.
    const businessFailures: { name: string; fields: Partial<RawRequest> }[] = [
      { name: 'a negative amount', fields: { from_amount: -1.5 } },
      { name: 'a zero amount', fields: { from_amount: 0 } },
      { name: 'a negative zero amount', fields: { from_amount: -0 } },
      { name: 'a NaN amount', fields: { from_amount: Number.NaN } },
      { name: 'an infinite amount', fields: { from_amount: Number.POSITIVE_INFINITY } },
      { name: 'an address with a bad checksum', fields: { payin_address: ADDRESS.replace('b9C', 'B9c') } },
      { name: 'an address that is not one', fields: { payin_address: 'not an address' } },
      { name: 'an empty address', fields: { payin_address: '' } },
      { name: 'an unknown currency', fields: { from_currency: 'doge' } },
    ];
    for (const c of businessFailures) {
      it(`returns a signed request with ${c.name} unchanged`, () => {
        const fields = { ...BASE, ...c.fields };
        assert.deepEqual(decodePaymentRequest(signedRequest(fields), options), {
          ...fields,
          attempt_count: 1,
          first_attempt_at: NOW,
          last_error_code: null,
        });
      });
    }

    const schemaFailures: { name: string; fields: Partial<RawRequest>; field: string }[] = [
      { name: 'an empty unique_id', fields: { unique_id: '' }, field: 'unique_id' },
      { name: 'an unknown context', fields: { context: 'refund' }, field: 'context' },
      { name: 'an upper-case context', fields: { context: 'Instant' }, field: 'context' },
      { name: 'an upper-case currency', fields: { from_currency: 'ETH' }, field: 'from_currency' },
      { name: 'an upper-case network', fields: { from_network: 'Eth' }, field: 'from_network' },
      {
        name: 'attempt_count 0',
        fields: { retry: { attempt_count: 0, first_attempt_at: NOW, last_error_code: '' } },
        field: 'attempt_count',
      },
    ];
    for (const c of schemaFailures) {
      it(`rejects a signed request with ${c.name} as TOKEN_MALFORMED naming ${c.field}`, () => {
        const error = rejection(() => decodePaymentRequest(signedRequest({ ...BASE, ...c.fields }), options));
        assert.equal(error.code, 'TOKEN_MALFORMED');
        assert.match(error.message, new RegExp(`field ${c.field} `));
      });
    }

    it('writes a retry of a retry: attempt 3, first attempt kept, error replaced, fresh timestamp', () => {
      const first = decodePaymentRequest(encodePaymentRequest(BASE, { key: KEY, now: NOW - 120 }), {
        ...options,
        freshness: null,
      });
      const second = decodePaymentRequest(
        encodeRetryToken(first, { errorCode: 'NETWORK_TIMEOUT', now: NOW - 60, key: KEY }),
        options,
      );
      const third = decodePaymentRequest(
        encodeRetryToken(second, { errorCode: 'RATE_LIMIT_EXCEEDED', now: NOW, key: KEY }),
        options,
      );
      assert.deepEqual(third, {
        ...first,
        attempt_count: 3,
        first_attempt_at: NOW - 120,
        last_error_code: 'RATE_LIMIT_EXCEEDED',
        timestamp: NOW,
      });
    });
  });

  describe('payment failed', () => {
    const fields = {
      unique_id: 'u-1',
      cn_api_id: 'cn',
      error_code: 'NONCE_CONFLICT',
      error_message: 'naïve €',
      attempt_count: 2,
      context: 'batch',
    };

    it('writes exactly the documented bytes', () => {
      const payload = Buffer.from(
        [
          '03 752d31', // unique_id 'u-1'
          '02 636e', // cn_api_id 'cn'
          '0e 4e4f4e43455f434f4e464c494354', // error_code 'NONCE_CONFLICT'
          '0a 6e61c3af766520e282ac', // error_message 'naïve €', 10 UTF-8 bytes
          '00000002', // attempt_count u32
          '05 6261746368', // context 'batch'
          '69248100', // timestamp u32 1764000000
        ]
          .join('')
          .replace(/ /g, ''),
        'hex',
      );
      const signature = createHmac('sha256', KEY).update(payload).digest().subarray(0, 16);
      const token = encodePaymentFailed(fields, { key: KEY, now: NOW });
      assert.equal(
        Buffer.from(token, 'base64url').toString('hex'),
        Buffer.concat([payload, signature]).toString('hex'),
      );
      assert.doesNotMatch(token, /[=+/]/);
      assert.deepEqual(decodePaymentFailed(token, options), { ...fields, timestamp: NOW });
    });

    const cuts: { name: string; message: string; expected: string }[] = [
      { name: '300 ASCII bytes', message: 'a'.repeat(300), expected: 'a'.repeat(255) },
      { name: 'exactly 255 bytes', message: `${'é'.repeat(127)}a`, expected: `${'é'.repeat(127)}a` },
      { name: '3-byte characters over the limit', message: '€'.repeat(100), expected: '€'.repeat(85) },
      {
        name: 'a 3-byte character across the limit',
        message: `a${'€'.repeat(85)}`,
        expected: `a${'€'.repeat(84)}`,
      },
      { name: '4-byte characters across the limit', message: '😀'.repeat(64), expected: '😀'.repeat(63) },
      {
        name: 'a 2-byte character across the limit',
        message: `${'a'.repeat(254)}é`,
        expected: 'a'.repeat(254),
      },
      { name: 'an empty message', message: '', expected: '' },
    ];
    for (const c of cuts) {
      it(`cuts error_message of ${c.name} to 255 bytes on a character boundary`, () => {
        assert.equal(truncateUtf8(c.message, 255), c.expected);
        const token = encodePaymentFailed({ ...fields, error_message: c.message }, { key: KEY, now: NOW });
        assert.equal(decodePaymentFailed(token, options).error_message, c.expected);
      });
    }

    it('round-trips the smallest valid failure, under the upstream 52-byte floor', () => {
      const smallest = {
        unique_id: 'u',
        cn_api_id: '',
        error_code: 'E',
        error_message: '',
        attempt_count: 0,
        context: '',
      };
      const token = encodePaymentFailed(smallest, { key: KEY, now: NOW });
      assert.equal(Buffer.from(token, 'base64url').length, MIN_PAYMENT_FAILED_BYTES + 2);
      assert.deepEqual(decodePaymentFailed(token, options), { ...smallest, timestamp: NOW });
    });

    for (const field of ['unique_id', 'error_code'] as const) {
      it(`rejects a signed failure with an empty ${field} as TOKEN_MALFORMED`, () => {
        const token = encodePaymentFailed({ ...fields, [field]: '' }, { key: KEY, now: NOW });
        assert.equal(rejection(() => decodePaymentFailed(token, options)).code, 'TOKEN_MALFORMED');
      });
    }
  });

  describe('payment completed', () => {
    const fields = {
      unique_id: 'WSX7UCQ1NZ4K3PBE',
      cn_api_id: '36b4cdde6bde04',
      tx_hash: `0x${'4f'.repeat(32)}`,
      tx_status: 'success',
    };

    it('writes u64 chain numbers from bigint and reads them up to the largest safe integer', () => {
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      const token = encodePaymentCompleted(
        { ...fields, gas_used: 21000n, block_number: max },
        { key: KEY, now: NOW },
      );
      assert.deepEqual(decodePaymentCompleted(token, options), {
        ...fields,
        gas_used: 21000,
        block_number: Number.MAX_SAFE_INTEGER,
        timestamp: NOW,
      });
    });

    const bad: { name: string; change: Record<string, unknown> }[] = [
      {
        name: 'a block number past the safe integers',
        change: { block_number: 2n ** 53n + 1n, gas_used: 1 },
      },
      { name: 'a short tx_hash', change: { tx_hash: '0x1234', gas_used: 1, block_number: 1 } },
      { name: 'an empty unique_id', change: { unique_id: '', gas_used: 1, block_number: 1 } },
    ];
    for (const c of bad) {
      it(`rejects a signed completion with ${c.name} as TOKEN_MALFORMED`, () => {
        const input = { ...fields, ...c.change } as Parameters<typeof encodePaymentCompleted>[0];
        const token = encodePaymentCompleted(input, { key: KEY, now: NOW });
        assert.equal(rejection(() => decodePaymentCompleted(token, options)).code, 'TOKEN_MALFORMED');
      });
    }
  });

  describe('encoder refusals', () => {
    const cases: { name: string; encode: () => string }[] = [
      {
        name: 'a 256-byte string',
        encode: () => encodePaymentRequest({ ...BASE, unique_id: 'é'.repeat(128) }, { key: KEY, now: NOW }),
      },
      {
        name: 'a fractional timestamp',
        encode: () => encodePaymentRequest(BASE, { key: KEY, now: NOW + 0.5 }),
      },
      {
        name: 'a negative attempt count',
        encode: () => encodePaymentRequest({ ...BASE, attempt_count: -1 }, { key: KEY, now: NOW }),
      },
      {
        name: 'an attempt count past u32',
        encode: () => encodePaymentRequest({ ...BASE, attempt_count: 2 ** 32 }, { key: KEY, now: NOW }),
      },
      {
        name: 'a negative gas count',
        encode: () =>
          encodePaymentCompleted(
            {
              unique_id: 'u',
              cn_api_id: '',
              tx_hash: `0x${'0'.repeat(64)}`,
              tx_status: 'success',
              gas_used: -1n,
              block_number: 1n,
            },
            { key: KEY, now: NOW },
          ),
      },
      {
        name: 'a request too small for the upstream decoder',
        encode: () =>
          encodePaymentRequest(
            {
              ...BASE,
              unique_id: 'u',
              cn_api_id: '',
              from_currency: '',
              from_network: '',
              payin_address: '',
              context: 'batch',
            },
            { key: KEY, now: NOW },
          ),
      },
    ];
    for (const c of cases) {
      it(`refuses to write ${c.name} (RangeError)`, () => {
        assert.throws(c.encode, RangeError);
      });
    }

    it('writes a 255-byte multibyte string', () => {
      const long = `${'é'.repeat(127)}a`;
      const token = encodePaymentRequest({ ...BASE, unique_id: long }, { key: KEY, now: NOW });
      assert.equal(decodePaymentRequest(token, options).unique_id, long);
    });
  });
});
