import assert from 'node:assert/strict';
import { type Recorder, startRecorder } from '../../../local/upstream.js';
import { encodePaymentFailed } from '../../../shared/token/index.js';
import { readVectors } from '../../support/vectors.js';

interface ResponseVector {
  signing_key: string;
  hp3_to_hp1_response_vector: { token: string; decoded_by_hostpay1: Record<string, unknown> };
}

const vectors = readVectors<ResponseVector>('upstream_tokens.json');
const KEY = vectors.signing_key;

async function post(url: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('local upstream recorder', () => {
  let recorder: Recorder;

  beforeEach(async () => {
    recorder = await startRecorder({ signingKey: KEY });
  });

  afterEach(() => recorder.stop());

  it('decodes a payment-completed token produced by the upstream implementation', async () => {
    const { token, decoded_by_hostpay1 } = vectors.hp3_to_hp1_response_vector;
    const response = await post(`${recorder.url}/payment-completed`, JSON.stringify({ token }));
    assert.equal(response.status, 200);
    const [record] = recorder.received();
    assert.equal(record?.path, '/payment-completed');
    assert.equal(record?.token, token);
    assert.deepEqual(record?.decoded, { kind: 'payment-completed', fields: decoded_by_hostpay1 });
    assert.equal(record?.decodeError, null);
  });

  it('decodes a payment-failed token with the payment-failed layout', async () => {
    const fields = {
      unique_id: 'U-1',
      cn_api_id: 'cn-1',
      error_code: 'INSUFFICIENT_FUNDS',
      error_message: 'wallet balance below amount plus fees',
      attempt_count: 1,
      context: 'batch',
    };
    const token = encodePaymentFailed(fields, { key: KEY, now: 1_764_000_000 });
    await post(`${recorder.url}/hp1/payment-failed`, JSON.stringify({ token }));
    const record = recorder.received()[0];
    assert.deepEqual(record?.decoded, {
      kind: 'payment-failed',
      fields: { ...fields, timestamp: 1_764_000_000 },
    });
  });

  it('records a token signed with another key undecoded, with the reason', async () => {
    const token = encodePaymentFailed(
      {
        unique_id: 'U-2',
        cn_api_id: '',
        error_code: 'UNKNOWN_ERROR',
        error_message: '',
        attempt_count: 3,
        context: 'instant',
      },
      { key: 'another-key-0123456789', now: 1_764_000_000 },
    );
    const response = await post(`${recorder.url}/payment-failed`, JSON.stringify({ token }));
    assert.equal(response.status, 200);
    const record = recorder.received()[0];
    assert.equal(record?.decoded, null);
    assert.match(record?.decodeError ?? '', /signature/);
  });

  it('does not decode without a signing key', async () => {
    const plain = await startRecorder();
    try {
      const { token } = vectors.hp3_to_hp1_response_vector;
      await post(`${plain.url}/payment-completed`, JSON.stringify({ token }));
      assert.equal(plain.received()[0]?.token, token);
      assert.equal(plain.received()[0]?.decoded, null);
      assert.equal(plain.received()[0]?.decodeError, null);
    } finally {
      await plain.stop();
    }
  });

  it('records a Slack-style body, its headers, and a body that is not JSON', async () => {
    const slack = {
      text: 'payout failed',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*x*' } }],
    };
    await post(`${recorder.url}/services/T/B/X`, JSON.stringify(slack));
    await post(`${recorder.url}/raw`, 'plain words', 'text/plain');
    const [first, second] = recorder.received();
    assert.deepEqual(first?.body, slack);
    assert.equal(first?.token, null);
    assert.equal(first?.decoded, null);
    assert.equal(first?.headers['content-type'], 'application/json');
    assert.equal(second?.body, 'plain words');
    assert.equal(second?.path, '/raw');
  });

  it('lists what it received at GET /received, without request headers', async () => {
    const { token, decoded_by_hostpay1 } = vectors.hp3_to_hp1_response_vector;
    await post(`${recorder.url}/payment-completed`, JSON.stringify({ token }));
    const list = (await (await fetch(recorder.receivedUrl)).json()) as Array<Record<string, unknown>>;
    assert.equal(list.length, 1);
    const [entry] = list;
    assert.deepEqual(Object.keys(entry ?? {}).sort(), [
      'body',
      'decodeError',
      'decoded',
      'path',
      'receivedAt',
      'token',
    ]);
    assert.equal(entry?.path, '/payment-completed');
    assert.ok(!Number.isNaN(Date.parse(String(entry?.receivedAt))));
    assert.deepEqual(entry?.decoded, { kind: 'payment-completed', fields: decoded_by_hostpay1 });
  });

  it('answers 405 to other methods and 413 to a body over the bound', async () => {
    const small = await startRecorder({ maxBodyBytes: 16 });
    try {
      assert.equal((await fetch(`${small.url}/x`, { method: 'PUT', body: '{}' })).status, 405);
      assert.equal(
        (await post(`${small.url}/x`, JSON.stringify({ text: 'more than sixteen bytes' }))).status,
        413,
      );
      assert.equal(small.received().length, 0);
    } finally {
      await small.stop();
    }
  });

  it('waitFor resolves on a later request and rejects after its bound', async () => {
    const waiting = recorder.waitFor((r) => r.path === '/later', 5_000);
    await post(`${recorder.url}/earlier`, '{}');
    await post(`${recorder.url}/later`, '{"n":1}');
    assert.deepEqual((await waiting).body, { n: 1 });
    // Already received: resolves at once.
    assert.equal((await recorder.waitFor((r) => r.path === '/earlier', 1)).path, '/earlier');
    await assert.rejects(
      recorder.waitFor((r) => r.path === '/never', 50),
      /no matching request within 50 ms/,
    );
  });

  it('clear forgets what was received', async () => {
    await post(`${recorder.url}/a`, '{}');
    recorder.clear();
    assert.equal(recorder.received().length, 0);
  });
});
