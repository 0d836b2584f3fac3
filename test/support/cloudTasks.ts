/** Test helpers around the local Cloud Tasks endpoint: an HTTP target that records what it receives. */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAtMs: number;
}

export interface TargetAnswer {
  status: number;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** Decides the answer to the n-th request (0-based) the target receives. */
export type Responder = (request: RecordedRequest, index: number) => TargetAnswer;

export interface TaskTarget {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  requests: RecordedRequest[];
  /** Most requests handled at the same time so far. */
  maxConcurrent: () => number;
  respondWith(responder: Responder): void;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An HTTP server on 127.0.0.1 that records each request and answers 200 unless told otherwise. */
export async function startTaskTarget(responder: Responder = () => ({ status: 200 })): Promise<TaskTarget> {
  const requests: RecordedRequest[] = [];
  let respond = responder;
  let active = 0;
  let peak = 0;
  const pending = new Set<NodeJS.Timeout>();
  const server = createServer(async (req, res) => {
    active += 1;
    peak = Math.max(peak, active);
    const body = await readBody(req);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      receivedAtMs: Date.now(),
    };
    const answer = respond(recorded, requests.length);
    requests.push(recorded);
    const reply = (): void => {
      active -= 1;
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.body ?? '');
    };
    if (answer.delayMs === undefined) reply();
    else {
      const timer = setTimeout(() => {
        pending.delete(timer);
        reply();
      }, answer.delayMs);
      pending.add(timer);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    maxConcurrent: () => peak,
    respondWith: (next) => {
      respond = next;
    },
    stop: async () => {
      for (const timer of pending) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The payload of a JWT, without checking anything. */
export function jwtPayload(authorization: string | undefined): Record<string, unknown> {
  const token = (authorization ?? '').replace(/^Bearer /, '');
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Runs an ES module script in a fresh Node process with tsx; resolves with its exit code (null: killed at the timeout). */
export function runModuleScript(
  script: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr });
    });
  });
}
