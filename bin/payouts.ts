/** `hostpay payouts list|show`: every payout, whatever its state, over the admin API or the database. */
import { parseArgs } from 'node:util';
import { chooseTarget, printAnswer, TARGET_OPTIONS, TARGET_USAGE } from './adminTarget.js';
import type { CliIo } from './command.js';
import { block, renderTable, transactionLine } from './failedFormat.js';

export const PAYOUTS_USAGE = `usage: hostpay payouts <command> [options]
  list  [--status s[,s]] [--context c] [--currency c] [--recipient 0x..] [--tx-hash 0x..] [--error-code C]
        [--created-from t] [--created-to t] [--confirmed-from t] [--confirmed-to t] [--limit n] [--after cursor]
  show  <unique_id or transaction hash>
${TARGET_USAGE}`;

const FILTERS = [
  'status',
  'context',
  'currency',
  'recipient',
  'tx-hash',
  'error-code',
  'created-from',
  'created-to',
  'confirmed-from',
  'confirmed-to',
  'limit',
  'after',
] as const;

const OPTIONS = {
  ...TARGET_OPTIONS,
  ...Object.fromEntries(FILTERS.map((name) => [name, { type: 'string' as const }])),
  help: { type: 'boolean', short: 'h' },
} as const;

type Json = Record<string, unknown>;

/** Runs one `payouts` subcommand (`argv` without `hostpay payouts`): 0 done, 1 refused or failed, 2 usage. */
export async function runPayoutsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [command, key] = positionals;
  if (command !== 'list' && command !== 'show') {
    io.err(
      `${command === undefined ? 'a command is needed' : `unknown command ${command}`}\n${PAYOUTS_USAGE}\n`,
    );
    return 2;
  }
  if (command === 'show' && key === undefined) {
    io.err(`show needs a unique_id or a transaction hash\n${PAYOUTS_USAGE}\n`);
    return 2;
  }
  const target = await chooseTarget(values, io.env);
  if (typeof target === 'string') {
    io.err(`${target}\n${PAYOUTS_USAGE}\n`);
    return 2;
  }
  try {
    const query: Record<string, string> = {};
    for (const name of FILTERS) {
      const value = (values as Record<string, unknown>)[name];
      if (typeof value === 'string') query[name.replaceAll('-', '_')] = value;
    }
    const answer =
      command === 'list' ? await target.backend.payouts(query) : await target.backend.payout(key ?? '');
    return printAnswer(io, answer, values.json, command === 'list' ? renderPayouts : renderPayout);
  } catch (error) {
    io.err(`failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await target.backend.close();
  }
}

const short = (hash: unknown) => (typeof hash === 'string' ? `${hash.slice(0, 10)}…${hash.slice(-4)}` : '-');

/** A page of payouts as an aligned table, then the cursor of the next page. */
export function renderPayouts(body: Json): string {
  const items = (body.items as Json[] | undefined) ?? [];
  const table = renderTable(
    [
      ['UNIQUE_ID', (p) => String(p.uniqueId)],
      ['STATUS', (p) => String(p.status)],
      ['AMOUNT', (p) => `${String(p.amountDecimal)} ${String(p.currency)}`],
      ['RECIPIENT', (p) => String(p.recipient)],
      ['ATTEMPTS', (p) => String(p.attemptCount)],
      ['ERROR', (p) => String(p.lastErrorCode ?? '-')],
      ['TX', (p) => short(p.confirmedTxHash)],
      ['CREATED', (p) => String(p.createdAt).replace(/\.\d+Z$/, 'Z')],
    ],
    items,
  );
  const next = typeof body.next === 'string' ? `next page: --after ${body.next}` : 'last page';
  return `${table}\n${items.length} shown; ${next}`;
}

/** One payout: its ledger row, its failure row if any, and every signed transaction with the node's word on it. */
export function renderPayout(body: Json): string {
  const lines = block('payout', (body.payout as Json | undefined) ?? {}, [
    'uniqueId',
    'status',
    'currency',
    'amountDecimal',
    'recipient',
    'context',
    'network',
    'chainId',
    'attemptCount',
    'cycle',
    'lastErrorCode',
    'lastErrorMessage',
    'confirmedTxHash',
    'confirmedBlockNumber',
    'confirmedAt',
    'createdAt',
    'updatedAt',
  ]);
  const failure = body.failure as Json | null | undefined;
  if (failure)
    lines.push(
      'failure',
      `  ${String(failure.status)}  ${String(failure.error_code)}  retries ${String(failure.retry_count)}` +
        (failure.recovered_at
          ? `  recovered ${String(failure.recovered_at)} by ${String(failure.recovered_by)}`
          : ''),
    );
  const transactions = (body.transactions as Json[] | undefined) ?? [];
  if (transactions.length > 0) lines.push('transactions');
  for (const t of transactions) {
    const chain = t.chain as Json | undefined;
    // adminApi's answer carries each transaction's explorer page (null on a chain without one).
    lines.push(
      transactionLine(t) +
        (chain ? `  node: ${String(chain.state)}` : '') +
        (typeof t.explorer_url === 'string' ? `  ${t.explorer_url}` : ''),
    );
  }
  return lines.join('\n');
}
