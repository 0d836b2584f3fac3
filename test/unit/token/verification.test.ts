import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { HostpayError } from '../../../shared/errors.js';
import {
  type DecodeOptions,
  decodePaymentCompleted,
  decodePaymentFailed,
  decodePaymentRequest,
  encodePaymentCompleted,
  encodePaymentFailed,
  encodePaymentRequest,
  encodeRetryToken,
  isExpiredPaymentRequest,
  SIGNATURE_BYTES,
  TokenExpiredError,
} from '../../../shared/token/index.js';

const KEY = 'current-signing-key-7f3a9c';
const PREVIOUS = 'previous-signing-key-41be02';
const OTHER = 'unknown-signing-key-99d1e5';
const NOW = 1_764_000_000;

const REQUEST = {
  unique_id: 'WSX7UCQ1NZ4K3PBE',
  cn_api_id: '36b4cdde6bde04',
  from_currency: 'usdt',
  from_network: 'eth',
  from_amount: 3.116936,
  payin_address: '0x459b9C28A8e266d59Ff57A8206730A4a264d5A2e',
  context: 'threshold',
};
const FAILED = {
  unique_id: 'WSX7UCQ1NZ4K3PBE',
  cn_api_id: '36b4cdde6bde04',
  error_code: 'INSUFFICIENT_FUNDS',
  error_message: 'The hot wallet cannot cover the amount plus fees.',
  attempt_count: 3,
  context: 'threshold',
};
const COMPLETED = {
  unique_id: 'WSX7UCQ1NZ4K3PBE',
  cn_api_id: '36b4cdde6bde04',
  tx_hash: `0x${'ab'.repeat(32)}`,
  tx_status: 'success',
  gas_used: 21000n,
  block_number: 21234567n,
};

const at = (now: number, keys: DecodeOptions['keys'] = { current: KEY }): DecodeOptions => ({
  keys,
  freshness: { now },
});

type Decoder = (token: string, options: DecodeOptions) => unknown;

/** One token of each layout hostpay reads, signed with `key` at `now`. */
function layouts(key: string, now = NOW): { name: string; token: string; decode: Decoder }[] {
  const first = decodePaymentRequest(encodePaymentRequest(REQUEST, { key, now }), at(now, { current: key }));
  return [
    {
      name: 'payment request',
      token: encodePaymentRequest(REQUEST, { key, now }),
      decode: decodePaymentRequest,
    },
    {
      name: "HostPay1's request without retry block",
      token: encodePaymentRequest(REQUEST, { key, now, retryBlock: false }),
      decode: decodePaymentRequest,
    },
    {
      name: 'retry token',
      token: encodeRetryToken(first, { errorCode: 'NETWORK_TIMEOUT', now, key }),
      decode: decodePaymentRequest,
    },
    {
      name: 'payment completed',
      token: encodePaymentCompleted(COMPLETED, { key, now }),
      decode: decodePaymentCompleted,
    },
    { name: 'payment failed', token: encodePaymentFailed(FAILED, { key, now }), decode: decodePaymentFailed },
  ];
}

/** Runs `fn`, returns the HostpayError it threw (or 'ACCEPTED'), and checks it leaks neither key nor token. */
function outcome(fn: () => unknown, token: string): HostpayError | 'ACCEPTED' {
  try {
    fn();
    return 'ACCEPTED';
  } catch (error) {
    assert.ok(error instanceof HostpayError, `expected a HostpayError, got ${String(error)}`);
    // Own enumerable properties (code, details, fields) plus the message: everything a log line would carry.
    const shown = `${error.message}\n${JSON.stringify(error)}`;
    for (const secret of [KEY, PREVIOUS, OTHER]) assert.ok(!shown.includes(secret), 'an error shows a key');
    if (token.length > 0) assert.ok(!shown.includes(token), 'an error shows the token');
    return error;
  }
}
const codeOf = (fn: () => unknown, token: string) => {
  const result = outcome(fn, token);
  return result === 'ACCEPTED' ? result : result.code;
};

function resign(raw: Buffer, payloadBytes: number, key: string): string {
  const payload = raw.subarray(0, payloadBytes);
  const signature = createHmac('sha256', key).update(payload).digest().subarray(0, SIGNATURE_BYTES);
  return Buffer.concat([payload, signature]).toString('base64url');
}

describe('token verification', () => {
  describe('key rotation', () => {
    for (const layout of layouts(PREVIOUS)) {
      it(`accepts a ${layout.name} signed with the previous key while it is configured`, () => {
        assert.equal(
          codeOf(
            () => layout.decode(layout.token, at(NOW, { current: KEY, previous: PREVIOUS })),
            layout.token,
          ),
          'ACCEPTED',
        );
      });
      it(`rejects a ${layout.name} signed with the previous key once it is dropped`, () => {
        assert.equal(
          codeOf(() => layout.decode(layout.token, at(NOW)), layout.token),
          'TOKEN_BAD_SIGNATURE',
        );
      });
    }
    for (const layout of layouts(KEY)) {
      it(`accepts a ${layout.name} signed with the current key during a rotation`, () => {
        assert.equal(
          codeOf(
            () => layout.decode(layout.token, at(NOW, { current: KEY, previous: PREVIOUS })),
            layout.token,
          ),
          'ACCEPTED',
        );
      });
    }
    for (const layout of layouts(OTHER)) {
      it(`rejects a ${layout.name} signed with an unknown key, previous key configured or not`, () => {
        for (const keys of [{ current: KEY }, { current: KEY, previous: PREVIOUS }]) {
          assert.equal(
            codeOf(() => layout.decode(layout.token, at(NOW, keys)), layout.token),
            'TOKEN_BAD_SIGNATURE',
          );
        }
      });
    }
  });

  describe('freshness window', () => {
    const token = encodePaymentRequest(REQUEST, { key: KEY, now: NOW });
    const cases: {
      name: string;
      now: number;
      maxAgeSeconds?: number;
      maxFutureSeconds?: number;
      ok: boolean;
    }[] = [
      { name: 'exactly 7200 s old by default', now: NOW + 7200, ok: true },
      { name: '7201 s old by default', now: NOW + 7201, ok: false },
      { name: 'exactly 5 s in the future by default', now: NOW - 5, ok: true },
      { name: '6 s in the future by default', now: NOW - 6, ok: false },
      { name: 'exactly 60 s old with a 60 s window', now: NOW + 60, maxAgeSeconds: 60, ok: true },
      { name: '61 s old with a 60 s window', now: NOW + 61, maxAgeSeconds: 60, ok: false },
      { name: '30 s in the future with 30 s allowed', now: NOW - 30, maxFutureSeconds: 30, ok: true },
      { name: '1 s in the future with none allowed', now: NOW - 1, maxFutureSeconds: 0, ok: false },
    ];
    for (const c of cases) {
      it(`${c.ok ? 'accepts' : 'rejects'} a token ${c.name}`, () => {
        const options = {
          keys: { current: KEY },
          freshness: { now: c.now, maxAgeSeconds: c.maxAgeSeconds, maxFutureSeconds: c.maxFutureSeconds },
        };
        assert.equal(
          codeOf(() => decodePaymentRequest(token, options), token),
          c.ok ? 'ACCEPTED' : 'TOKEN_EXPIRED',
        );
      });
    }

    it('skips the window when freshness is null, still checking the signature', () => {
      const options = { keys: { current: KEY }, freshness: null };
      assert.equal(decodePaymentRequest(token, options).timestamp, NOW);
      assert.equal(
        codeOf(() => decodePaymentRequest(token, { ...options, keys: { current: OTHER } }), token),
        'TOKEN_BAD_SIGNATURE',
      );
    });

    it('gives an expired but genuinely signed request its verified fields, typed', () => {
      const error = outcome(() => decodePaymentRequest(token, at(NOW + 7201)), token);
      assert.ok(isExpiredPaymentRequest(error), 'expected an expired payment request');
      assert.equal(error.code, 'TOKEN_EXPIRED');
      assert.equal(error.retryable, false);
      const fields = error.fields;
      assert.deepEqual(fields, decodePaymentRequest(token, { keys: { current: KEY }, freshness: null }));
      assert.deepEqual(error.details.request, fields);
      assert.equal(error.details.timestamp, NOW);
    });

    for (const layout of layouts(KEY)) {
      it(`gives an expired ${layout.name} its fields too`, () => {
        const error = outcome(() => layout.decode(layout.token, at(NOW - 6)), layout.token);
        assert.ok(error instanceof TokenExpiredError);
        assert.equal(isExpiredPaymentRequest(error), layout.decode === decodePaymentRequest);
        assert.deepEqual(
          error.fields,
          layout.decode(layout.token, { keys: { current: KEY }, freshness: null }),
        );
      });
    }
  });

  describe('order of the checks', () => {
    const raw = Buffer.from(encodePaymentRequest(REQUEST, { key: KEY, now: NOW }), 'base64url');
    const payloadBytes = raw.length - SIGNATURE_BYTES;
    // The context string starts after the fixed-size head; its first byte becomes invalid UTF-8 or 'X'.
    const contextAt = raw.indexOf(Buffer.from('\x09threshold', 'latin1')) + 1;
    const withByte = (offset: number, value: number) => {
      const copy = Buffer.from(raw);
      copy[offset] = value;
      return copy;
    };
    const cases: { name: string; token: string; now: number; code: string }[] = [
      {
        name: 'a forged signature is reported before expiry',
        token: resign(raw, payloadBytes, OTHER),
        now: NOW + 9999,
        code: 'TOKEN_BAD_SIGNATURE',
      },
      {
        name: 'a forged signature is reported before bad contents',
        token: resign(withByte(contextAt, 0x58), payloadBytes, OTHER),
        now: NOW,
        code: 'TOKEN_BAD_SIGNATURE',
      },
      {
        name: 'a forged signature is reported before invalid UTF-8',
        token: resign(withByte(contextAt, 0xff), payloadBytes, OTHER),
        now: NOW,
        code: 'TOKEN_BAD_SIGNATURE',
      },
      {
        name: 'signed bad contents are malformed, not expired',
        token: resign(withByte(contextAt, 0x58), payloadBytes, KEY),
        now: NOW + 9999,
        code: 'TOKEN_MALFORMED',
      },
      {
        name: 'signed invalid UTF-8 is malformed, not expired',
        token: resign(withByte(contextAt, 0xff), payloadBytes, KEY),
        now: NOW + 9999,
        code: 'TOKEN_MALFORMED',
      },
      {
        name: 'a wrong signature size is malformed whatever the key',
        token: Buffer.concat([raw, Buffer.from([0])]).toString('base64url'),
        now: NOW,
        code: 'TOKEN_MALFORMED',
      },
    ];
    it('finds the context string where the cases expect it', () => {
      assert.equal(raw.subarray(contextAt, contextAt + 9).toString(), 'threshold');
    });
    for (const c of cases) {
      it(c.name, () => {
        assert.equal(
          codeOf(() => decodePaymentRequest(c.token, at(c.now)), c.token),
          c.code,
        );
      });
    }
  });

  describe('text form', () => {
    const valid = encodePaymentRequest(REQUEST, { key: KEY, now: NOW });
    const cases: { name: string; token: unknown }[] = [
      { name: 'a character outside both alphabets', token: `${valid.slice(0, 10)}*${valid.slice(11)}` },
      { name: 'a space inside', token: `${valid.slice(0, 10)} ${valid.slice(10)}` },
      { name: 'padding in the middle', token: `${valid.slice(0, 8)}=${valid.slice(8)}` },
      { name: 'a length no base64 can have', token: valid + 'A'.repeat((5 - (valid.length % 4)) % 4) },
      { name: 'an empty string', token: '' },
      { name: 'a value that is not a string', token: 42 },
      { name: '51 raw bytes', token: Buffer.alloc(51, 7).toString('base64url') },
    ];
    for (const c of cases) {
      it(`rejects ${c.name} as TOKEN_MALFORMED`, () => {
        assert.equal(
          codeOf(() => decodePaymentRequest(c.token as string, at(NOW)), ''),
          'TOKEN_MALFORMED',
        );
      });
    }
  });

  describe('every change to a valid token', () => {
    for (const layout of layouts(KEY)) {
      it(`rejects every single-byte change of a ${layout.name}, at every position, to every other value`, () => {
        const raw = Buffer.from(layout.token, 'base64url');
        const signatureAt = raw.length - SIGNATURE_BYTES;
        let tried = 0;
        for (let i = 0; i < raw.length; i++) {
          for (let value = 0; value < 256; value++) {
            if (value === raw[i]) continue;
            const changed = Buffer.from(raw);
            changed[i] = value;
            const text = changed.toString('base64url');
            const code = codeOf(() => layout.decode(text, at(NOW)), text);
            if (i >= signatureAt) assert.equal(code, 'TOKEN_BAD_SIGNATURE', `byte ${i} -> ${value}`);
            else
              assert.ok(
                code === 'TOKEN_BAD_SIGNATURE' || code === 'TOKEN_MALFORMED',
                `byte ${i} -> ${value}: ${code}`,
              );
            tried++;
          }
        }
        assert.equal(tried, raw.length * 255);
      });

      it(`rejects every truncation and every extension of a ${layout.name}`, () => {
        const raw = Buffer.from(layout.token, 'base64url');
        for (let n = 0; n < raw.length; n++) {
          const text = raw.subarray(0, n).toString('base64url');
          assert.notEqual(
            codeOf(() => layout.decode(text, at(NOW)), text),
            'ACCEPTED',
            `first ${n} bytes`,
          );
        }
        const oneMore = Buffer.concat([raw, Buffer.from([0])]).toString('base64url');
        assert.equal(
          codeOf(() => layout.decode(oneMore, at(NOW)), oneMore),
          'TOKEN_MALFORMED',
        );
        for (let n = 2; n <= 32; n++) {
          const text = Buffer.concat([raw, Buffer.alloc(n, n)]).toString('base64url');
          assert.notEqual(
            codeOf(() => layout.decode(text, at(NOW)), text),
            'ACCEPTED',
            `${n} extra bytes`,
          );
        }
      });
    }
  });
});
