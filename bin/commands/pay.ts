/**
 * `hostpay pay`: signs a payment request as the upstream does and puts it on the running stack's payment
 * queue through the real Cloud Tasks client (docs/architecture.md, "The flow"; docs/tokens.md; docs/architecture.md, "Running it locally"); `--watch` follows it to its end.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isAddress } from 'ethers';
import { stackFilePath } from '../../local/stack/paths.js';
import { readStackFile, type StackFile } from '../../local/stack/stackFile.js';
import { createSqlClient } from '../../shared/db/createSqlClient.js';
import { createTasksClient } from '../../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../../shared/tasks/enqueueTask.js';
import { taskName } from '../../shared/tasks/taskName.js';
import { CONTEXTS, encodePaymentRequest } from '../../shared/token/index.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { watchPayout } from './watchPayout.js';

export const CURRENCIES = ['eth', 'usdt', 'usdc', 'dai'] as const;

export interface PayOptions {
  currency: (typeof CURRENCIES)[number];
  /** The decimal string as typed. */
  amount: string;
  to: string;
  context: (typeof CONTEXTS)[number];
  uniqueId: string;
  cnApiId: string;
  watch: boolean;
  timeoutSeconds: number;
}

const USAGE = `usage: hostpay pay --currency eth|usdt|usdc|dai --amount A --to ADDRESS [options]

  --currency C      what to pay: eth, usdt, usdc or dai
  --amount A        decimal amount, e.g. 0.01 (sent as a double, as the upstream does)
  --to ADDRESS      recipient; an invalid address is sent anyway and ends as a recorded failure
  --context C       instant (default), threshold or batch
  --unique-id ID    the payout's unique_id; default: a new one
  --cn-api-id ID    default: local-cli
  --watch           follow the payout to its end; exit 0 confirmed, 1 failed, 3 no end within --timeout
  --timeout S       how long --watch waits, in seconds; default 300`;

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** The options of one `pay` command line; a UsageError names the first problem. */
export function parsePayArgs(args: string[], newId: () => string = defaultUniqueId): PayOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      currency: { type: 'string' },
      amount: { type: 'string' },
      to: { type: 'string' },
      context: { type: 'string', default: 'instant' },
      'unique-id': { type: 'string' },
      'cn-api-id': { type: 'string', default: 'local-cli' },
      watch: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const currency = values.currency?.toLowerCase();
  if (currency === undefined) throw new UsageError('--currency is required');
  if (!(CURRENCIES as readonly string[]).includes(currency)) {
    throw new UsageError(`--currency must be one of ${CURRENCIES.join(', ')}, got "${values.currency}"`);
  }
  const amount = values.amount;
  if (amount === undefined) throw new UsageError('--amount is required');
  if (!DECIMAL.test(amount) || !Number.isFinite(Number(amount))) {
    throw new UsageError(`--amount must be a decimal number such as 0.01, got "${amount}"`);
  }
  if (values.to === undefined || values.to === '') throw new UsageError('--to is required');
  const context = values.context.toLowerCase();
  if (!(CONTEXTS as readonly string[]).includes(context)) {
    throw new UsageError(`--context must be one of ${CONTEXTS.join(', ')}, got "${values.context}"`);
  }
  const uniqueId = values['unique-id'] ?? newId();
  if (uniqueId === '' || Buffer.byteLength(uniqueId) > 255) {
    throw new UsageError('--unique-id must be 1 to 255 bytes');
  }
  const timeoutSeconds = Number(values.timeout);
  if (!/^[0-9]+$/.test(values.timeout) || timeoutSeconds < 1) {
    throw new UsageError(`--timeout must be a whole number of seconds, got "${values.timeout}"`);
  }
  return {
    currency: currency as PayOptions['currency'],
    amount,
    to: values.to,
    context: context as PayOptions['context'],
    uniqueId,
    cnApiId: values['cn-api-id'],
    watch: values.watch,
    timeoutSeconds,
  };
}

function defaultUniqueId(): string {
  return `local-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** The request as HostPay1 signs it: its own layout (no retry block), the amount as a double. */
export function paymentToken(stack: StackFile, options: PayOptions, nowSeconds: number): string {
  return encodePaymentRequest(
    {
      unique_id: options.uniqueId,
      cn_api_id: options.cnApiId,
      from_currency: options.currency,
      from_network: 'eth',
      from_amount: Number(options.amount),
      payin_address: options.to,
      context: options.context,
    },
    { key: stack.signingKey, now: nowSeconds, retryBlock: false },
  );
}

/** Creates the task on the payment queue; `created` is false when a task of that name exists already. */
export async function enqueuePayment(
  stack: StackFile,
  options: PayOptions,
): Promise<{ created: boolean; taskName: string }> {
  const target = stack.functions.executePayment;
  if (target === null) throw new Error('the running stack does not serve executePayment');
  // The Google client would otherwise look for the metadata server (docs/architecture.md, "Platform facts").
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const client = createTasksClient({ emulatorHost: stack.tasks.endpoint });
  try {
    return await enqueueTask(client, {
      project: stack.tasks.project,
      location: stack.tasks.location,
      queue: stack.tasks.queues.payment,
      url: target,
      body: { token: paymentToken(stack, options, Math.floor(Date.now() / 1000)) },
      name: taskName('upstream-payment', options.uniqueId, 0),
    });
  } finally {
    await client.close();
  }
}

async function runPay(args: string[], io: CliIo): Promise<number> {
  const options = parsePayArgs(args);
  const stack = await readStackFile(stackFilePath(io.env));
  if (!isAddress(options.to)) {
    io.err(`warning: "${options.to}" is not a valid address; hostpay will record the payout as failed\n`);
  }
  const queued = await enqueuePayment(stack, options);
  io.out(
    queued.created
      ? `queued ${options.amount} ${options.currency} to ${options.to} as ${options.uniqueId}\n`
      : `${options.uniqueId} was queued before; the queue refused the repeat\n`,
  );
  if (!options.watch) return EXIT.ok;
  const sql = createSqlClient(stack.databaseUrl, { max: 1 });
  try {
    return await watchPayout(sql, options.uniqueId, io, { timeoutMs: options.timeoutSeconds * 1000 });
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export const payCommand: Command = {
  summary: 'sign a payment request and put it on the payment queue (--watch follows it)',
  usage: USAGE,
  run: runPay,
};
