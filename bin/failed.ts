/** `hostpay failed list|show|retry|cancel|status`: the operator CLI over the admin API or the database (docs/architecture.md, "Running it locally"). */

import { parseArgs } from 'node:util';
import type { AdminBackend } from './adminBackends.js';
import { chooseTarget, printAnswer, TARGET_OPTIONS, TARGET_USAGE } from './adminTarget.js';
import type { CliIo } from './command.js';
import { renderFailure, renderList } from './failedFormat.js';

export const FAILED_USAGE = `usage: hostpay failed <command> [options]
  list   [--status s[,s]] [--error-code C] [--context c] [--since t] [--until t] [--limit n] [--offset n]
  show   <unique_id>
  retry  <unique_id> [--force] [--notes text]
  cancel <unique_id> [--notes text]
  status <unique_id> <status> [--notes text] [--tx-hash 0x..]
${TARGET_USAGE}
        (with --database-url, retry also reads the recoverPayments settings from the environment)`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  status: { type: 'string' },
  'error-code': { type: 'string' },
  context: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  force: { type: 'boolean' },
  notes: { type: 'string' },
  'tx-hash': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Runs one `failed` subcommand (`argv` without `hostpay failed`) and returns the exit code: 0 done,
 * 1 refused or failed (the API's reason is printed), 2 usage.
 */
export async function runFailedCommand(
  argv: readonly string[],
  io: Pick<CliIo, 'out' | 'err' | 'env'>,
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${(error as Error).message}\n${FAILED_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, uniqueId, extra] = positionals;
  if (values.help || command === undefined) {
    io.out(FAILED_USAGE);
    return values.help ? 0 : 2;
  }
  const needsId = command !== 'list';
  if (needsId && uniqueId === undefined) {
    io.err(`${command} needs a unique_id\n${FAILED_USAGE}`);
    return 2;
  }
  const target = await chooseTarget(values, io.env);
  if (typeof target === 'string') {
    io.err(`${target}\n${FAILED_USAGE}`);
    return 2;
  }
  const { backend } = target;
  try {
    const answer = await dispatch(backend, command, uniqueId ?? '', extra, values);
    if (answer === null) {
      io.err(`unknown command ${command}\n${FAILED_USAGE}`);
      return 2;
    }
    return printAnswer(io, answer, values.json, command === 'list' ? renderList : renderFailure);
  } catch (error) {
    io.err(`failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await backend.close();
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function dispatch(
  backend: AdminBackend,
  command: string,
  uniqueId: string,
  extra: string | undefined,
  values: Values,
) {
  const notes = values.notes === undefined ? {} : { notes: values.notes };
  const adminNotes = values.notes === undefined ? {} : { admin_notes: values.notes };
  switch (command) {
    case 'list': {
      const query: Record<string, string> = {};
      for (const key of ['status', 'error-code', 'context', 'since', 'until', 'limit', 'offset'] as const) {
        const value = values[key];
        if (value !== undefined) query[key.replace('-', '_')] = value;
      }
      return backend.list(query);
    }
    case 'show':
      return backend.show(uniqueId);
    case 'retry':
      return backend.retry(uniqueId, { ...(values.force ? { force: true } : {}), ...notes });
    case 'cancel':
      return backend.setStatus(uniqueId, { status: 'failed_cancelled', ...adminNotes });
    case 'status':
      return backend.setStatus(uniqueId, {
        status: extra ?? '',
        ...adminNotes,
        ...(values['tx-hash'] === undefined ? {} : { recovery_tx_hash: values['tx-hash'] }),
      });
    default:
      return Promise.resolve(null);
  }
}
