/**
 * Hostile input (docs/architecture.md, "Hostile input"): random and malformed requests to every function's
 * HTTP surface through the Functions Framework. None may answer 5xx; what is refused gets a 4xx with a
 * reason; a genuinely signed request whose contents are bad is a recorded failure with a notice; nothing
 * is paid and no row changes before the input is fully validated. FUZZ_RUNS sets the requests per function:
 * 2 000 inside `npm test`, 10 000 with `npm run fuzz`.
 */
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import fc from 'fast-check';
import { getFailedTransaction, insertFailedTransaction } from '../../../shared/db/index.js';
import { encodePaymentFailed, encodePaymentRequest } from '../../../shared/token/index.js';
import { assertNoSecretInLogs, type Harness, startHarness, waitUntil } from '../../support/hostpay.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
// The signed-but-bad requests each record a failure and queue two tasks: fewer of them.
const SIGNED_RUNS = Math.max(20, Math.floor(RUNS / 50));
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  undefined,
] as const;

/** encodeURIComponent, except that a lone surrogate (which it refuses) goes out as raw bytes. */
function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  }
}

interface Shot {
  method: string;
  path: string;
  body?: Buffer | string;
  contentType?: string | undefined;
}

/** Strings with the characters that break naive code: NUL, controls, lone surrogates, RTL, huge. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\u0007\u001b[31m',
    '\ud800',
    '\u202e',
    '%00',
    '../..',
    "'; DROP TABLE x;--",
  ),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u007f', 'é', '\u2028', '😀'), maxLength: 20 }),
  fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)),
);

/** A body of any shape: bytes, JSON of any kind, deep or huge JSON, broken UTF-8. */
const anyBody: fc.Arbitrary<Buffer | string> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.record({ token: fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })) }).map((b) => JSON.stringify(b)),
  fc
    .record({ request: fc.oneof(nasty, fc.jsonValue()), failure: fc.oneof(nasty, fc.jsonValue()) })
    .map((b) => JSON.stringify(b)),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.constantFrom(
    '{"token": "\\ud800"}',
    Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d]),
    '',
    '{',
    'null',
  ),
  fc.nat({ max: 40_000 }).map((n) => JSON.stringify({ token: 'A'.repeat(n) })),
);

describe('hostile input: every function through the Functions Framework', function () {
  this.timeout(600_000);
  let h: Harness;
  let provider: JsonRpcProvider;
  let nonceBefore: number;
  const statuses: Record<string, Record<string, number>> = {};

  const env = process.env.NODE_ENV;
  const consoleError = console.error;
  let frameworkErrorLines = 0;
  before(async () => {
    // As deployed: the framework's own refusals carry no stack trace. It still prints each one to stderr;
    // they are counted here instead of flooding the test output.
    process.env.NODE_ENV = 'production';
    console.error = () => {
      frameworkErrorLines += 1;
    };
    h = await startHarness();
    provider = new JsonRpcProvider(h.anvil.rpcUrl, h.anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
    nonceBefore = await provider.getTransactionCount(h.wallet.address, 'latest');
  });
  after(async () => {
    console.error = consoleError;
    console.log(`      framework refusals printed to stderr: ${frameworkErrorLines}`);
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
    provider?.destroy();
    await h?.stop();
    // The figures the closing note quotes: answers per function and status.
    console.log(`      fuzz answers per function and status: ${JSON.stringify(statuses)}`);
  });

  /**
   * One request. The Functions Framework itself refuses what never reaches a handler (a path that is not
   * percent-encoding, a charset it cannot read) with its own 4xx page; every other answer is ours, JSON.
   */
  async function shoot(fn: keyof Harness['urls'], shot: Shot): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {};
    if (shot.contentType !== undefined) headers['content-type'] = shot.contentType;
    const response = await fetch(`${h.urls[fn]}${shot.path}`, {
      method: shot.method,
      headers,
      ...(shot.body === undefined || shot.method === 'GET' || shot.method === 'OPTIONS'
        ? {}
        : { body: typeof shot.body === 'string' ? shot.body : new Uint8Array(shot.body) }),
    });
    const text = await response.text();
    const ours = (response.headers.get('content-type') ?? '').startsWith('application/json');
    const key = `${response.status}${ours ? '' : ' (framework)'}`;
    statuses[fn] ??= {};
    statuses[fn][key] = (statuses[fn][key] ?? 0) + 1;
    if (response.status >= 400 && ours) assert.match(text, /"error":"[a-z_]+"/, text);
    return { status: response.status, text };
  }

  it('a paid token replayed 40 times, 20 of them at once, pays once and answers 200 every time', async () => {
    const to = Wallet.createRandom().address;
    const token = h.token({ unique_id: 'fuzz-replayed', payin_address: to });
    const first = await h.post('executePayment', { token });
    assert.deepEqual([first.status, first.body.status], [200, 'success']);
    const replays = [
      ...(await Promise.all(Array.from({ length: 20 }, () => h.post('executePayment', { token })))),
      ...(await Promise.all(Array.from({ length: 20 }, () => h.post('retryPayment', { token })))),
    ];
    for (const replay of replays) {
      assert.equal(replay.status, 200);
      assert.ok(['already_completed', 'in_progress'].includes(String(replay.body.status)));
    }
    assert.equal(await provider.getBalance(to), 10n ** 16n, 'paid once');
    nonceBefore = await provider.getTransactionCount(h.wallet.address, 'latest');
  });

  const garbage = fc.record({
    method: fc.constantFrom(...METHODS),
    path: fc.constantFrom('/', '/x', '/%', '/%00', '/..%2f'),
    body: anyBody,
    contentType: fc.constantFrom(...CONTENT_TYPES),
  });

  /** A token signed with the right key by the upstream, then damaged: flipped, cut or extended. */
  const damagedToken = fc
    .record({
      flip: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
      cut: fc.nat(),
      extra: fc.string({ minLength: 1, maxLength: 8 }),
      how: fc.constantFrom('flip', 'cut', 'extend'),
    })
    .map(({ flip, bit, cut, extra, how }) => {
      const token = h.token({ unique_id: `fuzz-${flip}` });
      const raw = Buffer.from(token, 'base64url');
      if (how === 'flip') raw[flip % raw.length]! ^= 1 << bit;
      const damaged =
        how === 'cut'
          ? raw.subarray(0, cut % raw.length).toString('base64url')
          : how === 'extend'
            ? `${token}${Buffer.from(extra).toString('base64url')}`
            : raw.toString('base64url');
      return JSON.stringify({ token: damaged });
    });

  for (const fn of ['executePayment', 'retryPayment'] as const) {
    it(`${fn}: ${RUNS} random, damaged and oversized requests, each a 4xx with a reason, never a 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            garbage,
            fc.record({
              method: fc.constant('POST'),
              path: fc.constant('/'),
              body: damagedToken,
              contentType: fc.constantFrom(...CONTENT_TYPES),
            }),
          ),
          async (shot) => {
            const answer = await shoot(fn, shot);
            assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status} ${answer.text}`);
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  it(`recordFailure: ${RUNS} random and damaged requests, each a 4xx, never a 5xx`, async () => {
    const request = h.token({ unique_id: 'fuzz-record' });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          garbage,
          fc.record({
            method: fc.constant('POST'),
            path: fc.constant('/'),
            body: fc
              .record({ failure: fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })) })
              .map((b) => JSON.stringify({ request, ...b })),
            contentType: fc.constant('application/json'),
          }),
        ),
        async (shot) => {
          const answer = await shoot('recordFailure', shot);
          assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status} ${answer.text}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`recoverPayments: ${RUNS} requests of every method and body, never a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(garbage, async (shot) => {
        const answer = await shoot('recoverPayments', shot);
        assert.ok(answer.status < 500, `${answer.status} ${answer.text}`);
        if (shot.method !== 'POST')
          assert.ok(answer.status >= 400, `${shot.method} answered ${answer.status}`);
      }),
      { numRuns: RUNS },
    );
  });

  it(`adminApi: ${RUNS} requests on every route (failures, payouts, the document) with broken encodings, paging and bodies; rows untouched`, async () => {
    // Two failures an operator could act on. A request the API accepts may change them (a retry, say; their
    // address is unpayable, so a retry cannot pay); a refused one must leave them exactly as they were.
    const kept = ['fuzz-kept-1', 'fuzz-kept-2'];
    for (const uniqueId of kept) {
      await insertFailedTransaction(h.db.sql, {
        uniqueId,
        cnApiId: 'cn',
        fromCurrency: 'eth',
        fromNetwork: 'eth',
        fromAmount: '0.01',
        payinAddress: 'not-an-address',
        context: 'instant',
        errorCode: 'NETWORK_TIMEOUT',
        errorMessage: 'timeout',
        attemptCount: 3,
      });
    }
    const before = await Promise.all(kept.map((uniqueId) => getFailedTransaction(h.db.sql, { uniqueId })));
    const accepted = new Set<string>();
    const segment = fc.oneof(
      fc.constantFrom(...kept),
      fc.constantFrom('%', '%E0%A4%A', '%zz', '%00', '%C0%AF', '%ED%A0%80', '😀', '..', '%2F', 'a%00b'),
      nasty.map((text) => percentEncode(text).slice(0, 3000)),
      fc.string({ maxLength: 30 }),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc
        .record({
          key: fc.constantFrom(
            'limit',
            'offset',
            'status',
            'since',
            'until',
            'context',
            'error_code',
            'x',
            '%',
          ),
          value: fc.oneof(
            fc.constantFrom('-1', '0', '1e99', '99999999999999999999', 'NaN', '%', '%00', '2024-13-45', ''),
            fc.string({ maxLength: 12 }),
          ),
          again: fc.boolean(),
        })
        .map(({ key, value, again }) => {
          const pair = `${key}=${percentEncode(value)}`;
          return `?${pair}${again ? `&${pair}` : ''}`;
        }),
    );
    const body = fc.oneof(
      anyBody,
      fc
        .record({
          status: fc.oneof(fc.constantFrom('recovered', 'failed_cancelled', 'nope'), nasty, fc.jsonValue()),
          admin_notes: fc.oneof(nasty, fc.jsonValue()),
          recovery_tx_hash: fc.oneof(nasty, fc.constant(`0x${'ab'.repeat(31)}`)),
          force: fc.oneof(fc.boolean(), nasty, fc.jsonValue()),
          notes: fc.oneof(nasty, fc.jsonValue()),
        })
        .map((fields) => JSON.stringify(fields)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom(...METHODS),
          path: fc
            .record({
              id: segment,
              action: fc.constantFrom('', '/retry', '/status', '/x', '/retry/x'),
              query,
              route: fc.constantFrom('failures', 'failure', 'payouts', 'payout', 'openapi'),
            })
            .map(({ id, action, query: q, route }) => {
              if (route === 'failures') return `/failed-transactions${q}`;
              if (route === 'payouts') return `/payouts${q.replace('offset', 'after')}`;
              if (route === 'payout') return `/payouts/${id}${action}${q}`;
              if (route === 'openapi') return `/openapi.json${q}`;
              return `/failed-transactions/${id}${action}${q}`;
            }),
          body,
          contentType: fc.constantFrom(...CONTENT_TYPES),
        }),
        async (shot) => {
          const answer = await shoot('adminApi', shot);
          assert.ok(answer.status < 500, `${shot.method} ${shot.path}: ${answer.status} ${answer.text}`);
          const target = kept.find((uniqueId) => shot.path.startsWith(`/failed-transactions/${uniqueId}/`));
          if (target && shot.method !== 'GET' && answer.status < 300) accepted.add(target);
        },
      ),
      { numRuns: RUNS },
    );
    const after = await Promise.all(kept.map((uniqueId) => getFailedTransaction(h.db.sql, { uniqueId })));
    for (const [i, row] of after.entries()) {
      if (!accepted.has(kept[i]!)) assert.deepEqual(row, before[i], `${kept[i]} changed by refused requests`);
    }
  });

  it('genuinely signed requests with NUL or control characters in a field: recorded, notified, never a 5xx, nothing paid', async () => {
    const fields = ['unique_id', 'cn_api_id', 'payin_address', 'from_currency', 'from_network'] as const;
    const recorded: string[] = [];
    const answers: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          field: fc.constantFrom(...fields),
          control: fc.constantFrom('\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0000\u0000'),
          around: fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })),
          amount: fc.oneof(fc.constant(0.01), fc.double(), fc.constantFrom(-1, 0, Number.NaN, 1e308, 5e-324)),
          context: fc.constantFrom('instant', 'threshold', 'batch'),
          expired: fc.boolean(),
          n: fc.nat(),
        }),
        async ({ field, control, around, amount, context, expired, n }) => {
          // Every request carries a control character somewhere: none of them may pay.
          const value = `${around[0].toLowerCase()}${control}${around[1].toLowerCase()}`;
          const input = {
            unique_id: `fuzz-signed-${n}-${recorded.length}`,
            cn_api_id: 'cn-test',
            from_currency: 'eth',
            from_network: 'eth',
            from_amount: amount,
            payin_address: Wallet.createRandom().address,
            context,
            [field]: value,
          };
          const now = Math.floor(Date.now() / 1000) - (expired ? 86_400 : 0);
          const token = encodePaymentRequest(input, { key: h.signingKey, now, retryBlock: false });
          const answer = await h.post('executePayment', { token });
          const key = `${answer.status} ${String(answer.body.status ?? answer.body.error)}`;
          answers[key] = (answers[key] ?? 0) + 1;
          assert.ok(answer.status < 500, `${answer.status} ${JSON.stringify(answer.body)}`);
          if (answer.status === 200) {
            assert.equal(answer.body.status, 'failed', JSON.stringify(answer.body));
            recorded.push(input.unique_id);
          }
        },
      ),
      { numRuns: SIGNED_RUNS },
    );
    console.log(`      signed hostile requests: ${JSON.stringify(answers)}`);
    assert.ok(recorded.length > 0, 'signed requests with bad contents are recorded as failures');
    // Each recorded failure reaches failed_transactions (NUL stored as U+FFFD) and the upstream's notice.
    for (const uniqueId of recorded.slice(0, 25)) {
      const stored = uniqueId.replaceAll('\u0000', '\uFFFD');
      await waitUntil(
        () => getFailedTransaction(h.db.sql, { uniqueId: stored }),
        20_000,
        `the row of ${stored}`,
      );
    }
  });

  it('a failure token signed with the right key but naming another payout, or broken, is refused', async () => {
    const request = h.token({ unique_id: 'fuzz-pair' });
    const other = encodePaymentFailed(
      {
        unique_id: 'someone-else',
        cn_api_id: 'cn',
        error_code: 'INSUFFICIENT_FUNDS',
        error_message: 'x',
        attempt_count: 1,
        context: 'instant',
      },
      { key: h.signingKey, now: Math.floor(Date.now() / 1000) },
    );
    const answer = await h.post('recordFailure', { request, failure: other });
    assert.deepEqual([answer.status, answer.body.error], [400, 'token_mismatch']);
  });

  it('paid nothing and left no secret in any log line', async () => {
    assert.equal(
      await provider.getTransactionCount(h.wallet.address, 'latest'),
      nonceBefore,
      'no transaction sent',
    );
    assertNoSecretInLogs(h);
  });
});
