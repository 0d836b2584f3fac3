/** What every `hostpay` subcommand shares: its shape, its surroundings, its exit codes. */

/** Exit codes of every subcommand. */
export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3 } as const;

/** Where a subcommand writes and what it reads from its surroundings. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when `out` is a terminal: progress may then rewrite its line. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  usage: string;
  /** Talks to an adminApi or database: its help ends with the target it would use now. */
  operator?: boolean;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}
