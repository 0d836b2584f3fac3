import assert from 'node:assert/strict';
import { runCli } from '../../../bin/cli.js';
import type { CliIo } from '../../../bin/command.js';
import { type PayOptions, parsePayArgs, paymentToken } from '../../../bin/commands/pay.js';
import {
  finalReport,
  outcomeOf,
  type PayoutSnapshot,
  progressState,
} from '../../../bin/commands/watchPayout.js';
import type { StackFile } from '../../../local/stack/stackFile.js';
import type { FailedTransaction, Payout, PayoutTransaction } from '../../../shared/db/index.js';
import { decodePaymentRequest } from '../../../shared/token/index.js';

const TO = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    env,
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
  };
  return io;
}

describe('hostpay command line', () => {
  it('lists the commands and exits 2 without one, 0 with --help', async () => {
    const bare = capture();
    assert.equal(await runCli([], bare), 2);
    assert.match(bare.stdout, /pay +sign a payment request/);
    assert.match(bare.stdout, /failed +list, show, retry/);
    const help = capture();
    assert.equal(await runCli(['--help'], help), 0);
  });

  it('refuses an unknown command with exit 2', async () => {
    const io = capture();
    assert.equal(await runCli(['payy'], io), 2);
    assert.match(io.stderr, /unknown command "payy"/);
  });

  it('prints a usage error and the usage with exit 2', async () => {
    const io = capture();
    assert.equal(await runCli(['pay', '--currency', 'btc', '--amount', '1', '--to', TO], io), 2);
    assert.match(io.stderr, /--currency must be one of eth, usdt, usdc, dai, got "btc"/);
    assert.match(io.stderr, /usage: hostpay pay/);
  });

  it('turns an unknown option into a usage error', async () => {
    const io = capture();
    assert.equal(await runCli(['pay', '--currency', 'eth', '--amount', '1', '--to', TO, '--fast'], io), 2);
    assert.match(io.stderr, /--fast/);
  });

  it('says to start the stack when no stack file exists, exit 1', async () => {
    const io = capture({ HOSTPAY_LOCAL_DIR: '/nonexistent/hostpay-cli-test' });
    assert.equal(await runCli(['pay', '--currency', 'eth', '--amount', '0.01', '--to', TO], io), 1);
    assert.match(io.stderr, /no local stack is running .*npm start/);
  });
});

describe('hostpay pay options', () => {
  const base = ['--currency', 'eth', '--amount', '0.01', '--to', TO];

  it('reads every option, with defaults', () => {
    assert.deepEqual(
      parsePayArgs(base, () => 'generated'),
      {
        currency: 'eth',
        amount: '0.01',
        to: TO,
        context: 'instant',
        uniqueId: 'generated',
        cnApiId: 'local-cli',
        watch: false,
        timeoutSeconds: 300,
      } satisfies PayOptions,
    );
    const full = parsePayArgs([
      ...['--currency', 'USDT', '--amount', '12.5', '--to', TO, '--context', 'batch'],
      ...['--unique-id', 'U-9', '--cn-api-id', 'cn-9', '--watch', '--timeout', '30'],
    ]);
    assert.equal(full.currency, 'usdt');
    assert.equal(full.context, 'batch');
    assert.equal(full.uniqueId, 'U-9');
    assert.equal(full.cnApiId, 'cn-9');
    assert.equal(full.watch, true);
    assert.equal(full.timeoutSeconds, 30);
  });

  const refused: [string, string[], RegExp][] = [
    ['a missing currency', ['--amount', '1', '--to', TO], /--currency is required/],
    ['a missing amount', ['--currency', 'eth', '--to', TO], /--amount is required/],
    ['a missing recipient', ['--currency', 'eth', '--amount', '1'], /--to is required/],
    ['a negative amount', [...base, '--amount=-1'], /--amount must be a decimal/],
    ['an exponent amount', [...base, '--amount', '1e3'], /--amount must be a decimal/],
    ['a comma amount', [...base, '--amount', '0,5'], /--amount must be a decimal/],
    [
      'an unknown context',
      [...base, '--context', 'later'],
      /--context must be one of instant, threshold, batch/,
    ],
    ['an empty unique id', [...base, '--unique-id', ''], /--unique-id must be 1 to 255 bytes/],
    ['a long unique id', [...base, '--unique-id', 'x'.repeat(256)], /--unique-id must be 1 to 255 bytes/],
    ['a fractional timeout', [...base, '--timeout', '1.5'], /--timeout must be a whole number/],
    ['a positional argument', [...base, 'extra'], /unexpected argument "extra"/],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parsePayArgs(args), message);
    });
  }

  it('accepts an invalid address, which the stack records as a failure', () => {
    assert.equal(parsePayArgs(['--currency', 'eth', '--amount', '1', '--to', '0x123']).to, '0x123');
  });
});

describe('hostpay pay token', () => {
  const stack = { signingKey: 'local-signing-key-0123456789' } as StackFile;

  it('signs the upstream layout with the stack key, the amount as the double of the decimal', () => {
    const options = parsePayArgs(
      ['--currency', 'usdc', '--amount', '0.1', '--to', TO, '--context', 'threshold', '--unique-id', 'U-1'],
      () => 'unused',
    );
    const token = paymentToken(stack, options, 1_764_000_000);
    const decoded = decodePaymentRequest(token, {
      keys: { current: stack.signingKey },
      freshness: { now: 1_764_000_000 },
    });
    assert.deepEqual(decoded, {
      unique_id: 'U-1',
      cn_api_id: 'local-cli',
      from_currency: 'usdc',
      from_network: 'eth',
      from_amount: 0.1,
      payin_address: TO,
      context: 'threshold',
      timestamp: 1_764_000_000,
      attempt_count: 1,
      first_attempt_at: 1_764_000_000,
      last_error_code: null,
    });
    assert.throws(
      () => decodePaymentRequest(token, { keys: { current: 'another-key-0123456789' }, freshness: null }),
      /signature/,
    );
  });
});

describe('hostpay pay --watch reports', () => {
  const payout = (fields: Partial<Payout>): Payout =>
    ({
      uniqueId: 'U-1',
      currency: 'eth',
      amountDecimal: '0.01',
      recipient: TO,
      status: 'received',
      attemptCount: 1,
      lastErrorCode: null,
      lastErrorMessage: null,
      confirmedTxHash: null,
      confirmedBlockNumber: null,
      confirmedGasUsed: null,
      ...fields,
    }) as Payout;
  const tx = (fields: Partial<PayoutTransaction>): PayoutTransaction =>
    ({
      hash: `0x${'ab'.repeat(32)}`,
      nonce: 0,
      status: 'sent',
      kind: 'transfer',
      ...fields,
    }) as PayoutTransaction;
  const failure = (fields: Partial<FailedTransaction>): FailedTransaction =>
    ({
      errorCode: 'INVALID_ADDRESS',
      errorMessage: 'bad address',
      attemptCount: 1,
      status: 'failed_pending_review',
      ...fields,
    }) as FailedTransaction;
  const snap = (fields: Partial<PayoutSnapshot>): PayoutSnapshot => ({
    payout: null,
    transactions: [],
    failure: null,
    ...fields,
  });

  const outcomes: [string, PayoutSnapshot, ReturnType<typeof outcomeOf>][] = [
    ['nothing yet', snap({}), null],
    ['received', snap({ payout: payout({ status: 'received' }) }), null],
    ['submitted', snap({ payout: payout({ status: 'submitted' }) }), null],
    ['retry scheduled', snap({ payout: payout({ status: 'retry_scheduled' }) }), null],
    ['pending confirmation', snap({ payout: payout({ status: 'pending_confirmation' }) }), null],
    ['confirmed', snap({ payout: payout({ status: 'confirmed' }) }), 'confirmed'],
    ['failed', snap({ payout: payout({ status: 'failed' }) }), 'failed'],
    ['cancelled', snap({ payout: payout({ status: 'cancelled' }) }), 'cancelled'],
    ['a failure recorded without a ledger row', snap({ failure: failure({}) }), 'failed'],
  ];
  for (const [what, snapshot, expected] of outcomes) {
    it(`ends ${expected ?? 'not'} on ${what}`, () => {
      assert.equal(outcomeOf(snapshot), expected);
    });
  }

  it('shows the state, the latest transaction and the last error on the progress line', () => {
    assert.equal(progressState('U-1', snap({})), 'U-1  queued, waiting for executePayment');
    assert.equal(
      progressState(
        'U-1',
        snap({
          payout: payout({
            status: 'pending_confirmation',
            attemptCount: 2,
            lastErrorCode: 'NETWORK_TIMEOUT',
          }),
          transactions: [
            tx({ status: 'replaced' }),
            tx({ hash: `0x${'cd'.repeat(32)}`, nonce: 4, kind: 'replacement' }),
          ],
        }),
      ),
      'U-1  pending_confirmation · attempt 2 · tx 0xcdcdcdcd...cdcd sent (nonce 4) · 2 transactions · last error NETWORK_TIMEOUT',
    );
  });

  it('reports a confirmed payout with its hash, block and gas', () => {
    const hash = `0x${'ef'.repeat(32)}`;
    const lines = finalReport(
      'confirmed',
      snap({
        payout: payout({
          status: 'confirmed',
          confirmedTxHash: hash,
          confirmedBlockNumber: 7,
          confirmedGasUsed: 21000n,
        }),
        transactions: [tx({ hash, status: 'mined' })],
      }),
      1234,
    );
    assert.deepEqual(lines, [
      `confirmed   0.01 eth to ${TO}`,
      `  tx          ${hash}`,
      '  block       7, gas used 21000',
      '  attempts    1, 1 transaction signed',
      '  took        1.2 s',
    ]);
  });

  it('reports a failure with the recorded code, message and failed_transactions status', () => {
    const lines = finalReport(
      'failed',
      snap({
        payout: payout({ status: 'failed', attemptCount: 3, lastErrorCode: 'NETWORK_TIMEOUT' }),
        failure: failure({
          errorCode: 'INSUFFICIENT_FUNDS',
          errorMessage: 'balance too low',
          attemptCount: 3,
        }),
      }),
      500,
    );
    assert.equal(lines[0], 'failed      INSUFFICIENT_FUNDS: balance too low');
    assert.ok(lines.includes('  attempts    3, 0 transactions signed'));
    assert.ok(lines.includes('  recorded    in failed_transactions as failed_pending_review'));
  });
});
