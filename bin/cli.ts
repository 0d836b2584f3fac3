/**
 * The `hostpay` command line (docs/architecture.md, "Running it locally"): one file per subcommand under `bin/commands/`, registered
 * in COMMANDS. Every subcommand reads the running local stack from `.local/stack.json`.
 */
import { coerceError } from '../shared/errors.js';
import { describeTarget } from './adminTarget.js';
import { type CliIo, type Command, EXIT, UsageError } from './command.js';
import { migrateCommand } from './commands/migrate.js';
import { payCommand } from './commands/pay.js';
import { FAILED_USAGE, runFailedCommand } from './failed.js';
import { PAYOUTS_USAGE, runPayoutsCommand } from './payouts.js';

/** Every subcommand; a new one is a file under `bin/commands/` and a line here. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  pay: payCommand,
  migrate: migrateCommand,
  payouts: {
    summary: 'list or show payouts, whatever their state, with their transactions and failure',
    usage: PAYOUTS_USAGE,
    operator: true,
    run: runPayoutsCommand,
  },
  failed: {
    operator: true,
    summary: 'list, show, retry, cancel or set the status of failed transactions',
    usage: FAILED_USAGE,
    // Its renderers return text without the final newline that the terminal wants.
    run: (args, io) =>
      runFailedCommand(args, {
        ...io,
        out: (text) => io.out(text.endsWith('\n') ? text : `${text}\n`),
        err: (text) => io.err(text.endsWith('\n') ? text : `${text}\n`),
      }),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: hostpay <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'hostpay <command> --help shows its options and, for payouts and failed, the target it talks to.',
  ].join('\n');
}

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${help()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`hostpay: unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    const target = command.operator ? `\n${await describeTarget(io.env)}` : '';
    io.out(`${command.usage}${target}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`hostpay ${name}: ${coerceError(error).message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    io.err(`hostpay ${name}: ${coerceError(error).message}\n`);
    return EXIT.failed;
  }
}

/** `util.parseArgs` reports unknown or malformed options as TypeErrors with these codes. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
