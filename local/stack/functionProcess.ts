/**
 * One function served by the Functions Framework CLI in its own process group (docs/architecture.md, "Running it locally"), as
 * Cloud Run would serve it: the built module, one target, one port, the environment given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';

export type OutputStream = 'stdout' | 'stderr';

export interface FunctionProcessOptions {
  /** The export served (`--target`). */
  name: string;
  port: number;
  /** Path of the built functions module (`--source`). */
  source: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each output line, without its newline. */
  onLine: (stream: OutputStream, line: string) => void;
}

export interface FunctionProcess {
  name: string;
  port: number;
  url: string;
  pid: number;
  /** Resolves when the server answers `GET /health` at all; rejects if it exits or the bound passes. */
  waitUntilUp(timeoutMs: number): Promise<void>;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM to the process group, SIGKILL after the grace period; safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown when the served module has no export of that name (its function is not written yet). */
export class MissingTargetError extends Error {}

const OUTPUT_KEPT_LINES = 30;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 150;

// The child exits when its stdin closes, so a parent killed without cleanup leaves no server behind.
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "process.stdin.on('end',()=>process.exit(0));process.stdin.resume();",
)}`;

/** The framework's CLI (`build/src/main.js`), found beside its main entry: its exports do not list it. */
function frameworkMain(): string {
  const entry = createRequire(import.meta.url).resolve('@google-cloud/functions-framework');
  return path.join(path.dirname(entry), 'main.js');
}

export function startFunctionProcess(options: FunctionProcessOptions): FunctionProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      EXIT_WITH_PARENT,
      frameworkMain(),
      `--target=${options.name}`,
      `--source=${options.source}`,
      `--port=${options.port}`,
      '--signature-type=http',
    ],
    { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const recent: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream], crlfDelay: Infinity }).on('line', (line) => {
      recent.push(line);
      if (recent.length > OUTPUT_KEPT_LINES) recent.shift();
      options.onLine(stream, line);
    });
  }
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const url = `http://127.0.0.1:${options.port}`;
  let stopping: Promise<void> | undefined;

  const exitedEarly = (): Error => {
    const output = recent.join('\n');
    const text = `${options.name} exited (${child.exitCode ?? child.signalCode}) before serving:\n${output}`;
    return /is not defined in the provided module/.test(output)
      ? new MissingTargetError(text)
      : new Error(text);
  };

  return {
    name: options.name,
    port: options.port,
    url,
    pid: child.pid ?? -1,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async waitUntilUp(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      void exit.then(() => {
        gone = true;
      });
      while (Date.now() < deadline) {
        if (gone) {
          // Let the last lines arrive before quoting them.
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw exitedEarly();
        }
        const status = await healthStatus(url);
        if (status === 200 || status === 503) return;
        if (status !== null) {
          throw new Error(`${options.name} answered /health with ${status}:\n${recent.join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      throw new Error(`${options.name} did not answer /health within ${timeoutMs} ms:\n${recent.join('\n')}`);
    },
    stop() {
      stopping ??= stopGroup(child, exit);
      return stopping;
    },
  };
}

/** The status of `GET /health`, or null while nothing listens. */
async function healthStatus(url: string): Promise<number | null> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

async function stopGroup(child: ChildProcess, exit: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
  await exit;
  clearTimeout(timer);
  // Anything the function started in its group goes with it.
  signalGroup(pid, 'SIGKILL');
  child.stdin?.destroy();
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
