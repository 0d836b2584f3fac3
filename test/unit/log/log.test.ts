import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import { formatFunctionLine } from '../../../local/stack/logFormat.js';
import { loadConfig, secretValuesInEnv } from '../../../shared/config/index.js';
import { HostpayError } from '../../../shared/errors.js';
import {
  createLogger,
  isSecretField,
  type LoggerOptions,
  REDACTED,
  REPORTED_ERROR_EVENT,
  redact,
  traceFromHeaders,
} from '../../../shared/log/index.js';
import { createHttpFunction } from '../../../shared/runtime/httpFunction.js';

const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const TX_HASH = `0x${'ab'.repeat(32)}`;

/** A logger whose lines are collected and parsed. */
function capture(options: Omit<LoggerOptions, 'write'> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line), now: () => new Date(0) });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe('log', () => {
  describe('redact', () => {
    const cases: [string, string, string, string[]?][] = [
      [
        'a registered secret',
        'password is hunter2-long here',
        `password is ${REDACTED} here`,
        ['hunter2-long'],
      ],
      ['a registered secret in another case', 'KEY=SECRET-VALUE-X', `KEY=${REDACTED}`, ['secret-value-x']],
      ['the URL-encoded form of a secret', 'p=a%2Fb%3Dc%40d', `p=${REDACTED}`, ['a/b=c@d']],
      [
        'the JSON-escaped form of a secret',
        '{"k":"say \\"hi\\" now"}',
        `{"k":"${REDACTED}"}`,
        ['say "hi" now'],
      ],
      ['a registered 0x private key', `key ${KEY} used`, `key ${REDACTED} used`, [KEY, KEY.slice(2)]],
      ['a registered key, bare', `key=${KEY.slice(2)};`, `key=${REDACTED};`, [KEY, KEY.slice(2)]],
      [
        'a registered key in upper case',
        `key ${KEY.toUpperCase().replace('0X', '0x')}`,
        `key ${REDACTED}`,
        [KEY, KEY.slice(2)],
      ],
      [
        'a registered key inside a URL',
        `https://signer.example.com/sign?k=${KEY.slice(2)}`,
        `https://signer.example.com/${REDACTED}`,
        [KEY, KEY.slice(2)],
      ],
      [
        'a registered key in a URL path, which the URL rule would keep',
        `see http://127.0.0.1:8545/${KEY.slice(2)}`,
        `see http://127.0.0.1:8545/${REDACTED}`,
        [KEY.slice(2)],
      ],
      [
        'a transaction hash in a message, which an operator needs',
        `transfer ${TX_HASH} accepted by the node`,
        `transfer ${TX_HASH} accepted by the node`,
        [KEY, KEY.slice(2)],
      ],
      ['a bare 64-hex hash', `block ${TX_HASH.slice(2)}`, `block ${TX_HASH.slice(2)}`],
      [
        'an address, which is not 32 bytes',
        'to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        'to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      ],
      [
        'raw transaction bytes, longer than a key',
        `raw 0x02${'f8'.repeat(80)}`,
        `raw 0x02${'f8'.repeat(80)}`,
      ],
      [
        'a PEM block',
        'k=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY----- done',
        `k=${REDACTED} done`,
      ],
      ['a cut-off PEM block', 'k=-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI', `k=${REDACTED}`],
      [
        'an Alchemy URL',
        'rpc https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345 down',
        `rpc https://eth-mainnet.g.alchemy.com/${REDACTED} down`,
      ],
      [
        'an Infura URL',
        'https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161',
        `https://mainnet.infura.io/${REDACTED}`,
      ],
      [
        'a query key',
        'https://api.etherscan.io/api?module=proxy&apikey=XYZ',
        `https://api.etherscan.io/${REDACTED}`,
      ],
      ['basic auth', 'wss://user:pa55@node.example.com:8546/ws', `wss://node.example.com:8546/${REDACTED}`],
      [
        'a database URL',
        'postgres://hostpay:pw@10.0.0.5:5432/hostpay',
        `postgres://10.0.0.5:5432/${REDACTED}`,
      ],
      [
        'a password holding a slash',
        'postgres://hostpay:p/w@db.internal:5432/hostpay',
        `postgres://${REDACTED}`,
      ],
      [
        'a Slack webhook',
        'posting to https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx',
        `posting to https://hooks.slack.com/${REDACTED}`,
      ],
      [
        'a URL inside JSON text',
        '{"requestUrl": "http://127.0.0.1:8545/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345", "x": 1}',
        `{"requestUrl": "http://127.0.0.1:8545/${REDACTED}", "x": 1}`,
      ],
      [
        'a function URL, which carries no key',
        'task to https://retrypayment-abc123-uc.a.run.app/retryPayment',
        'task to https://retrypayment-abc123-uc.a.run.app/retryPayment',
      ],
      ['a local node', 'http://127.0.0.1:8545', 'http://127.0.0.1:8545'],
      [
        'a long path of plain words',
        'https://example.com/payment-completed-notification',
        'https://example.com/payment-completed-notification',
      ],
      ['a registered value under 4 characters (too short to redact)', 'pw is abc', 'pw is abc', ['abc']],
    ];
    for (const [what, input, expected, secrets] of cases) {
      it(`handles ${what}`, () => {
        assert.equal(redact(input, secrets), expected);
      });
    }
  });

  describe('isSecretField', () => {
    const secret = [
      'privateKey',
      'private_key',
      'WALLET_PRIVATE_KEY',
      'walletPrivateKey',
      'key',
      'apiKey',
      'apikey',
      'x-api-key',
      'secret',
      'clientSecret',
      'password',
      'DB_PASSWORD',
      'passwd',
      'token',
      'accessToken',
      'x-auth-token',
      'tokenSigningKey',
      'mnemonic',
      'Authorization',
      'proxy-authorization',
      'credentials',
    ];
    const plain = [
      'tx_hash',
      'unique_id',
      'error_code',
      'monkey',
      'keyboard',
      'tokenizer',
      'attempt',
      'hash',
    ];
    for (const name of secret)
      it(`takes a field named ${name} for a credential`, () => assert.ok(isSecretField(name)));
    for (const name of plain)
      it(`takes a field named ${name} for a plain one`, () => assert.ok(!isSecretField(name)));
  });

  describe('traceFromHeaders', () => {
    const trace = '105445aa7843bc8bf206b12000100000';
    const cases: [string, Record<string, string | string[] | undefined>, Record<string, unknown>][] = [
      [
        'X-Cloud-Trace-Context with a decimal span',
        { 'x-cloud-trace-context': `${trace}/1;o=1` },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
          'logging.googleapis.com/spanId': '0000000000000001',
          'logging.googleapis.com/trace_sampled': true,
        },
      ],
      [
        'X-Cloud-Trace-Context with the largest span, not sampled',
        { 'X-Cloud-Trace-Context': `${trace}/18446744073709551615;o=0` },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
          'logging.googleapis.com/spanId': 'ffffffffffffffff',
          'logging.googleapis.com/trace_sampled': false,
        },
      ],
      [
        'X-Cloud-Trace-Context with a trace only',
        { 'x-cloud-trace-context': trace },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
          'logging.googleapis.com/trace_sampled': false,
        },
      ],
      [
        'traceparent',
        { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
          'logging.googleapis.com/spanId': '00f067aa0ba902b7',
          'logging.googleapis.com/trace_sampled': true,
        },
      ],
      [
        'traceparent before X-Cloud-Trace-Context',
        { traceparent: `00-${'1'.repeat(32)}-00f067aa0ba902b7-00`, 'x-cloud-trace-context': `${trace}/1` },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${'1'.repeat(32)}`,
          'logging.googleapis.com/spanId': '00f067aa0ba902b7',
          'logging.googleapis.com/trace_sampled': false,
        },
      ],
      [
        'X-Cloud-Trace-Context when traceparent is invalid',
        {
          traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
          'x-cloud-trace-context': `${trace}/1;o=1`,
        },
        {
          'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
          'logging.googleapis.com/spanId': '0000000000000001',
          'logging.googleapis.com/trace_sampled': true,
        },
      ],
      ['a version ff traceparent', { traceparent: `ff-${trace}-00f067aa0ba902b7-01` }, {}],
      ['a zero span', { traceparent: `00-${trace}-0000000000000000-01` }, {}],
      ['garbage', { 'x-cloud-trace-context': 'not-a-trace' }, {}],
      ['no header', {}, {}],
    ];
    for (const [what, headers, expected] of cases) {
      it(`reads ${what}`, () => {
        assert.deepEqual(traceFromHeaders(headers, 'proj'), expected);
      });
    }

    it('gives nothing without a project', () => {
      assert.deepEqual(traceFromHeaders({ 'x-cloud-trace-context': `${trace}/1;o=1` }, undefined), {});
    });
  });

  describe('createLogger', () => {
    it('writes one JSON line per event: severity, timestamp, insertId, message, event_type, then the fields', () => {
      const { logger, lines, entries } = capture();
      logger.info('payment_received', 'payment received', {
        unique_id: 'u-1',
        context: 'instant',
        attempt: 1,
      });
      assert.equal(lines.length, 1);
      assert.ok(!lines[0]?.includes('\n'));
      const entry = entries()[0] ?? {};
      assert.match(String(entry['logging.googleapis.com/insertId']), /^[-._A-Za-z0-9]{10,}$/);
      delete entry['logging.googleapis.com/insertId'];
      assert.deepEqual(entry, {
        severity: 'INFO',
        timestamp: { seconds: 0, nanos: 0 },
        message: 'payment received',
        event_type: 'payment_received',
        unique_id: 'u-1',
        context: 'instant',
        attempt: 1,
      });
    });

    it('writes the event fields the log-based metric extracts at the top level of the payload', () => {
      // terraform/monitoring.tf filters on jsonPayload.event_type and extracts context and error_code.
      const { logger, entries } = capture({ base: { function: 'executePayment' } });
      logger.error('payment_failed_permanently', 'failed', {
        error_code: 'INSUFFICIENT_FUNDS',
        context: 'batch',
      });
      const entry = entries()[0];
      assert.equal(entry?.event_type, 'payment_failed_permanently');
      assert.equal(entry?.error_code, 'INSUFFICIENT_FUNDS');
      assert.equal(entry?.context, 'batch');
      assert.equal(entry?.severity, 'ERROR');
      assert.equal(entry?.function, 'executePayment');
      assert.deepEqual(entry?.['logging.googleapis.com/labels'], { function: 'executePayment' });
    });

    it('writes to stdout one line per event and nothing else, now or later (no client, no project lookup)', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const stdoutWrite = process.stdout.write;
      const stderrWrite = process.stderr.write;
      const grab =
        (into: string[]) =>
        (chunk: unknown): boolean => {
          into.push(String(chunk));
          return true;
        };
      process.stdout.write = grab(out) as typeof process.stdout.write;
      process.stderr.write = grab(err) as typeof process.stderr.write;
      try {
        const logger = createLogger({ base: { function: 'recordFailure' } });
        logger.info('e1', 'one');
        logger.error('e2', 'two', { error: new Error('boom') });
        // A project or metadata-server lookup would answer (or fail and print) after a few ticks.
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        process.stdout.write = stdoutWrite;
        process.stderr.write = stderrWrite;
      }
      assert.deepEqual(err, []);
      assert.equal(out.length, 2);
      assert.ok(out.every((chunk) => chunk.endsWith('}\n') && chunk.indexOf('\n') === chunk.length - 1));
      assert.deepEqual(
        out.map((chunk) => (JSON.parse(chunk) as { event_type: string }).event_type),
        ['e1', 'e2'],
      );
    });

    it('maps each shorthand to its Cloud Logging severity', () => {
      const { logger, entries } = capture();
      logger.debug('e', 'm');
      logger.info('e', 'm');
      logger.notice('e', 'm');
      logger.warn('e', 'm');
      logger.error('e', 'm');
      logger.critical('e', 'm');
      logger.event('WARNING', 'e', 'm');
      assert.deepEqual(
        entries().map((entry) => entry.severity),
        ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'WARNING'],
      );
    });

    it('carries base and child fields, the event fields winning, the core keys untouchable', () => {
      const { logger, entries } = capture({ base: { function: 'executePayment' } });
      const child = logger.child({
        ...traceFromHeaders({ traceparent: `00-${'2'.repeat(32)}-${'3'.repeat(16)}-01` }, 'p'),
      });
      child.warn('payment_retry_scheduled', 'retry', {
        attempt: 2,
        severity: 'DEBUG',
        message: 'x',
        event_type: 'z',
        time: 'y',
        timestamp: 'y',
        '@type': 'y',
        stack_trace: 'y',
        'logging.googleapis.com/labels': { function: 'y' },
        'logging.googleapis.com/insertId': 'y',
      });
      const entry = entries()[0];
      assert.equal(entry?.function, 'executePayment');
      assert.equal(entry?.['logging.googleapis.com/trace'], `projects/p/traces/${'2'.repeat(32)}`);
      assert.equal(entry?.['logging.googleapis.com/spanId'], '3'.repeat(16));
      assert.equal(entry?.['logging.googleapis.com/trace_sampled'], true);
      assert.equal(entry?.severity, 'WARNING');
      assert.equal(entry?.message, 'retry');
      assert.equal(entry?.event_type, 'payment_retry_scheduled');
      assert.deepEqual(entry?.timestamp, { seconds: 0, nanos: 0 });
      assert.deepEqual(entry?.['logging.googleapis.com/labels'], { function: 'executePayment' });
      assert.notEqual(entry?.['logging.googleapis.com/insertId'], 'y');
      for (const key of ['time', '@type', 'stack_trace']) assert.equal(entry?.[key], undefined, key);
      assert.equal(entry?.attempt, 2);
    });

    it('writes bigints as decimal strings and bytes as their size only', () => {
      const { logger, entries } = capture();
      logger.info('e', 'm', { amount_base_units: 1153404167157630n, raw: new Uint8Array(32) });
      assert.equal(entries()[0]?.amount_base_units, '1153404167157630');
      assert.equal(entries()[0]?.raw, '[32 bytes]');
    });

    it('keeps transaction hashes readable in the message and in every field', () => {
      const { logger, entries } = capture({ secrets: [KEY, KEY.slice(2)] });
      logger.info('transfer_accepted', `transfer ${TX_HASH} accepted by the node`, {
        tx_hash: TX_HASH,
        receipt: { blockHash: TX_HASH, transactionHash: TX_HASH },
        tx_hashes: [TX_HASH],
        note: `tx ${TX_HASH} and ${TX_HASH.slice(2)}`,
      });
      const entry = entries()[0];
      assert.equal(entry?.message, `transfer ${TX_HASH} accepted by the node`);
      assert.deepEqual(entry?.receipt, { blockHash: TX_HASH, transactionHash: TX_HASH });
      assert.equal(entry?.tx_hash, TX_HASH);
      assert.deepEqual(entry?.tx_hashes, [TX_HASH]);
      assert.equal(entry?.note, `tx ${TX_HASH} and ${TX_HASH.slice(2)}`);
    });

    it('redacts a field named for a credential whatever it holds, at any depth', () => {
      const { logger, entries, lines } = capture();
      logger.info('e', 'm', {
        privateKey: 'not-even-hex',
        authorization: 'Bearer abc.def.ghi',
        request: { headers: { Authorization: 'Basic dXNlcjpwdw==', accept: 'json' } },
        key: TX_HASH,
        apiKey: 42,
        token: { nested: 'x' },
        secrets: ['a', 'b'],
        mnemonic: 'test test test test test test test test test test test junk',
      });
      const entry = entries()[0];
      for (const name of ['privateKey', 'authorization', 'key', 'apiKey', 'token', 'secrets', 'mnemonic'])
        assert.equal(entry?.[name], REDACTED, name);
      assert.deepEqual(entry?.request, { headers: { Authorization: REDACTED, accept: 'json' } });
      for (const value of ['not-even-hex', 'abc.def', 'dXNlcjpwdw', '42', 'nested', 'junk'])
        assert.ok(!lines[0]?.includes(value), value);
    });

    it('redacts the wallet key, 0x and bare, any case, wherever it appears', () => {
      const wallet = new Wallet(KEY);
      const { logger, lines } = capture({ secrets: [KEY, KEY.slice(2)] });
      const upper = KEY.slice(2).toUpperCase();
      const error = new Error(`cannot sign with ${upper}`, { cause: new Error(`bad ${KEY}`) });
      logger.error('e', `message ${KEY} and ${upper}`, {
        error,
        nested: { deeper: { list: [`0x${upper}`, KEY.slice(2)] } },
        url: `https://rpc.example.com/${KEY}`,
        note: `wallet ${wallet.address} ok`,
      });
      const line = lines[0] ?? '';
      assert.ok(!line.toLowerCase().includes(KEY.slice(2)), line);
      assert.ok(line.includes(wallet.address), 'the address is not a secret');
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.match(String(entry.stack_trace), /^Error: cannot sign with \[REDACTED\]\n\s+at /);
    });

    it('still redacts a registered secret under a hash-named field', () => {
      const { logger, lines } = capture({ secrets: [KEY] });
      logger.info('e', 'm', { tx_hash: KEY });
      assert.ok(!lines[0]?.includes(KEY.slice(2)));
    });

    it("puts an ERROR event's stack where Error Reporting reads it, typed as a ReportedErrorEvent", () => {
      const { logger, entries } = capture();
      const error = new HostpayError('RPC_CONNECTION_FAILED', 'node unreachable');
      logger.error('payment_failed_permanently', 'failed', { error });
      logger.critical('startup_failed', 'could not start', { error });
      for (const entry of entries()) {
        assert.equal(entry['@type'], REPORTED_ERROR_EVENT);
        assert.equal(
          REPORTED_ERROR_EVENT,
          'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent',
        );
        // The V8 stack as error.stack gives it: a header, then frames.
        assert.equal(entry.stack_trace, error.stack);
        assert.match(String(entry.stack_trace), /^HostpayError: node unreachable\n\s+at .*log\.test\.ts/);
        assert.equal((entry.error as Record<string, unknown>).stack, undefined, 'not twice');
        assert.equal(entry.message, entry.event_type === 'startup_failed' ? 'could not start' : 'failed');
      }
    });

    it('does not report a warning, or an ERROR event without an error, to Error Reporting', () => {
      const { logger, entries } = capture();
      logger.warn('payment_retry_scheduled', 'retry', { error: new Error('transient') });
      logger.error('payment_pending_too_long', 'stuck', { error: 'not an Error' });
      const [warning, error] = entries();
      assert.equal(warning?.['@type'], undefined);
      assert.equal(warning?.stack_trace, undefined);
      assert.match(
        String((warning?.error as Record<string, unknown> | undefined)?.stack),
        /^Error: transient\n/,
      );
      assert.equal(error?.['@type'], undefined);
      assert.equal(error?.stack_trace, undefined);
    });

    it('serializes an error with its code, details and cause chain', () => {
      const { logger, entries } = capture();
      const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' });
      const error = new HostpayError('RPC_CONNECTION_FAILED', 'node unreachable', {
        cause: root,
        details: { endpoint: 'rpc' },
      });
      logger.error('payment_failed_permanently', 'failed', { error, error_code: error.code });
      const logged = entries()[0]?.error as Record<string, unknown>;
      assert.equal(logged.name, 'HostpayError');
      assert.equal(logged.message, 'node unreachable');
      assert.equal(logged.code, 'RPC_CONNECTION_FAILED');
      assert.deepEqual(logged.details, { endpoint: 'rpc' });
      assert.match(String(entries()[0]?.stack_trace), /^HostpayError: node unreachable\n/);
      assert.deepEqual(logged.cause, {
        name: 'Error',
        message: 'connect ECONNREFUSED 127.0.0.1:8545',
        code: 'ECONNREFUSED',
      });
    });

    it('bounds cycles, depth, long arrays and long strings', () => {
      const { logger, entries, lines } = capture();
      const cyclic: Record<string, unknown> = { name: 'a' };
      cyclic.self = cyclic;
      const deep = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
      const selfCaused = new Error('loop');
      Object.assign(selfCaused, { cause: selfCaused });
      logger.info('e', 'm', {
        cyclic,
        deep,
        list: Array.from({ length: 60 }, (_, i) => i),
        text: 'x'.repeat(20_000),
        selfCaused,
      });
      const entry = entries()[0];
      assert.deepEqual(entry?.cyclic, { name: 'a', self: '[circular]' });
      assert.match(JSON.stringify(entry?.deep), /\[too deep\]/);
      assert.equal((entry?.list as unknown[] | undefined)?.length, 51);
      assert.ok(String(entry?.text).length < 8_100);
      assert.ok((lines[0]?.length ?? 0) < 20_000);
    });

    it("shows in the local stack's console at the time it was logged", () => {
      const { logger, lines } = capture();
      logger.info('payment_received', 'payment received', { unique_id: 'u-1' });
      const shown = formatFunctionLine('executePayment', 'stdout', lines[0] ?? '');
      const local = new Date(0);
      const pad = (n: number) => String(n).padStart(2, '0');
      assert.ok(
        shown.startsWith(
          `${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}.000 `,
        ),
        shown,
      );
      assert.match(shown, /payment_received +u-1 +payment received/);
    });
  });

  describe('no secret reaches a log line or an error message', () => {
    const wallet = Wallet.createRandom();
    const signingKey = 'hp-signing-key-Zq8vR2mK5tX9wB4n';
    const dbPassword = 'Db-Pa55/w0rd@7Kq2';
    const databaseUrl = `postgresql://hostpay:${encodeURIComponent(dbPassword)}@10.1.2.3:5432/hostpay?sslmode=verify-full`;
    const slackUrl = 'https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/Xy7Zq3Wv9Ut5Sr1Po8Nm6Lk4';
    const rpcKey = 'k3yAbCdEfGhIjKlMnOpQrStUvWx_789';
    const rpcUrl = `https://eth-mainnet.g.alchemy.com/v2/${rpcKey}`;
    const env = {
      HOSTPAY_ENV: 'production',
      DATABASE_URL: databaseUrl,
      RPC_URL: rpcUrl,
      CHAIN_ID: '1',
      WALLET_PRIVATE_KEY: wallet.privateKey,
      TOKEN_SIGNING_KEY: signingKey,
      SLACK_WEBHOOK_URL: slackUrl,
      PAYMENT_CAPS: '{"eth":"5"}',
      TASKS_PROJECT: 'hostpay-prod',
      TASKS_LOCATION: 'us-central1',
      RETRY_QUEUE: 'retry',
      FAILURE_QUEUE: 'failure',
      NOTICE_QUEUE: 'notices',
      TASKS_INVOKER_SERVICE_ACCOUNT: 'invoker@hostpay-prod.iam.gserviceaccount.com',
      RETRY_PAYMENT_URL: 'https://retry.example.com/',
      RECORD_FAILURE_URL: 'https://failure.example.com/',
      UPSTREAM_COMPLETED_URL: 'https://upstream.example.com/payment-completed',
    };
    // The secret material itself; hosts (kept by design) are not in it.
    const secretParts = [
      wallet.privateKey,
      wallet.privateKey.slice(2),
      signingKey,
      dbPassword,
      encodeURIComponent(dbPassword),
      'Xy7Zq3Wv9Ut5Sr1Po8Nm6Lk4',
      rpcKey,
    ];

    /** Fails when `output` holds any secret, or any 8-character piece of one, in any case. */
    function assertClean(output: string, what: string): void {
      const haystack = output.toLowerCase();
      for (const secret of secretParts) {
        for (let i = 0; i + 8 <= secret.length; i++) {
          const piece = secret.slice(i, i + 8).toLowerCase();
          assert.ok(!haystack.includes(piece), `${what} holds "${piece}" of a secret:\n${output}`);
        }
      }
    }

    async function configFailure(overrides: Record<string, string | undefined>): Promise<HostpayError> {
      try {
        await loadConfig({ ...env, ...overrides });
      } catch (error) {
        assert.ok(error instanceof HostpayError);
        return error;
      }
      assert.fail('expected CONFIG_INVALID');
    }

    it('config errors never show a secret, valid or malformed', async () => {
      const errors = [
        await configFailure({ MAX_ATTEMPTS: 'x', CHAIN_ID: '-1' }),
        await configFailure({
          WALLET_PRIVATE_KEY: `${wallet.privateKey}ff`,
          TOKEN_SIGNING_KEY: signingKey.slice(0, 12),
          DATABASE_URL: databaseUrl.replace('postgresql:', 'mysql:'),
          RPC_URL: rpcUrl.replace('https:', 'gopher:'),
          SLACK_WEBHOOK_URL: slackUrl.replace('https:', 'http:'),
        }),
        await configFailure({ RPC_URL: `${rpcUrl} `, DATABASE_URL: `${databaseUrl}\t` }),
      ];
      for (const error of errors) {
        assertClean(error.message, 'config error message');
        assertClean(JSON.stringify(error.details), 'config error details');
        assertClean(String(error.stack), 'config error stack');
      }
      assert.match(errors[1]?.message ?? '', /WALLET_PRIVATE_KEY: .*\(value not shown\)/);
    });

    it('log events never show a secret: in messages, fields, errors and causes', async () => {
      const config = await loadConfig(env);
      const outputs: string[] = [];
      const logger = createLogger({ secrets: config.secretValues, write: (line) => outputs.push(line) });
      const cause = new Error(`password authentication failed for ${databaseUrl} (${dbPassword})`);
      const error = new HostpayError('WALLET_UNLOCKED_FAILED', `bad key ${wallet.privateKey.toUpperCase()}`, {
        cause: Object.assign(cause, { cause: new Error(`signing with ${signingKey} via ${slackUrl}`) }),
        details: { rpc: rpcUrl, key: wallet.privateKey.slice(2) },
      });
      logger.error('payment_failed_permanently', `failed on ${rpcUrl} with ${signingKey}`, {
        error,
        config: { ...config },
        list: [wallet.privateKey, encodeURIComponent(databaseUrl)],
        map: new Map([[signingKey, dbPassword]]),
        [rpcKey]: 'a secret as a field name',
        tx_hash: wallet.privateKey,
        slack: JSON.stringify({ url: slackUrl }),
      });
      logger.child({ db: databaseUrl }).warn(signingKey, dbPassword);
      assert.equal(outputs.length, 2);
      for (const line of outputs) assertClean(line, 'log line');
      assert.match(outputs[0] ?? '', /WALLET_UNLOCKED_FAILED/);
    });

    it('a real ethers RPC failure, which quotes the keyed URL, is logged clean', async () => {
      const server = createServer((request, response) => {
        response.statusCode = 500;
        response.end(JSON.stringify({ error: `bad key in ${request.url}` }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const localRpc = `http://127.0.0.1:${port}/v2/${rpcKey}`;
      const provider = new JsonRpcProvider(localRpc, Network.from(1), { staticNetwork: true });
      try {
        const failure = await provider.getBlockNumber().then(
          () => assert.fail('expected a server error'),
          (error: unknown) => error as Error,
        );
        assert.ok(failure.message.includes(rpcKey), 'ethers quotes the URL, which is what this test guards');
        const config = await loadConfig({ ...env, RPC_URL: localRpc });
        const outputs: string[] = [];
        const logger = createLogger({ secrets: config.secretValues, write: (line) => outputs.push(line) });
        logger.error('payment_retry_scheduled', failure.message, { error: failure });
        assertClean(outputs.join('\n'), 'log line');
      } finally {
        provider.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('without registered secrets, the shape and field rules still catch keyed URLs, PEM blocks and key fields', () => {
      const outputs: string[] = [];
      const logger = createLogger({ write: (line) => outputs.push(line) });
      logger.error('e', `node ${rpcUrl} down`, {
        urls: [rpcUrl, databaseUrl, slackUrl],
        privateKey: wallet.privateKey,
        signer: { key: wallet.privateKey.slice(2), password: dbPassword },
        error: new Error('boom', { cause: new Error(`pem -----BEGIN PRIVATE KEY-----\n${signingKey}\n`) }),
      });
      assertClean(outputs[0] ?? '', 'log line');
    });

    it('the wallet key is registered however it is given: by the configuration and, before it, by the environment', async () => {
      const bareUpper = wallet.privateKey.slice(2).toUpperCase();
      const config = await loadConfig(
        { ...env, WALLET_PRIVATE_KEY: bareUpper },
        { functionName: 'executePayment' },
      );
      const fromEnv = secretValuesInEnv({ ...env, WALLET_PRIVATE_KEY: bareUpper });
      for (const secrets of [config.secretValues, fromEnv]) {
        const outputs: string[] = [];
        const logger = createLogger({ secrets, write: (line) => outputs.push(line) });
        logger.critical('startup_failed', `key ${wallet.privateKey} / ${bareUpper}`, {
          error: new Error(`invalid ${wallet.privateKey.slice(2)}`),
          tx_hash: wallet.privateKey,
        });
        assertClean(outputs[0] ?? '', 'log line');
      }
      assert.ok(fromEnv.includes(signingKey) && fromEnv.includes(dbPassword) && fromEnv.includes(rpcKey));
      assert.ok(!fromEnv.includes('hostpay-prod'), 'plain settings are not secrets');
    });

    it('a startup failure quoting the wallet key is logged clean, before any configuration is read', async () => {
      const saved = process.env.WALLET_PRIVATE_KEY;
      const out: string[] = [];
      const stdoutWrite = process.stdout.write;
      process.env.WALLET_PRIVATE_KEY = wallet.privateKey.slice(2).toUpperCase();
      try {
        const fn = createHttpFunction({
          name: 'executePayment',
          createDeps: () => Promise.reject(new Error(`cannot use key ${wallet.privateKey}`)),
          health: () => ({}),
          handle: async () => ({ status: 200, body: {} }),
        });
        const res = { status: () => res, json: () => res };
        process.stdout.write = ((chunk: unknown) =>
          out.push(String(chunk)) > 0) as typeof process.stdout.write;
        try {
          await fn({ method: 'POST', path: '/', headers: {} } as never, res as never);
        } finally {
          process.stdout.write = stdoutWrite;
        }
      } finally {
        if (saved === undefined) delete process.env.WALLET_PRIVATE_KEY;
        else process.env.WALLET_PRIVATE_KEY = saved;
      }
      assert.equal(out.length, 1);
      assert.match(out[0] ?? '', /"event_type":"startup_failed"/);
      assertClean(out[0] ?? '', 'startup log line');
    });
  });
});
