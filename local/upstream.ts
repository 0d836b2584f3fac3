/**
 * The local upstream (docs/tokens.md; docs/architecture.md, "Running it locally"): an HTTP server that records every POST it receives and decodes
 * hostpay's notices (`/payment-completed`, `/payment-failed`) when it knows the signing key. Generic
 * enough to stand in for the Slack webhook in tests too (Slack posts `{text, blocks?}`).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { coerceError } from '../shared/errors.js';
import {
  decodePaymentCompleted,
  decodePaymentFailed,
  type PaymentCompleted,
  type PaymentFailed,
} from '../shared/token/index.js';

/** Which layout a notice was decoded with, and its fields. */
export type DecodedNotice =
  | { kind: 'payment-completed'; fields: PaymentCompleted }
  | { kind: 'payment-failed'; fields: PaymentFailed };

/** One POST as the recorder saw it. */
export interface ReceivedRequest {
  /** Path and query, as sent. */
  path: string;
  /** ISO 8601. */
  receivedAt: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** `body.token` when the body is `{token: string}`. */
  token: string | null;
  decoded: DecodedNotice | null;
  /** Why a token on a notice path could not be decoded (bad signature, malformed). */
  decodeError: string | null;
}

export interface StartRecorderOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** Decodes tokens with this key when given; without it `decoded` stays null. */
  signingKey?: string;
  /** Largest body kept; longer ones are answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface Recorder {
  /** `http://127.0.0.1:<port>`: POST anything here. */
  url: string;
  port: number;
  /** `GET` answers the JSON list of what was received (`path, receivedAt, token, decoded, body`). */
  receivedUrl: string;
  /** Everything received so far, oldest first. */
  received(): readonly ReceivedRequest[];
  /** The first request (already received or arriving) that satisfies `predicate`; rejects after the bound. */
  waitFor(predicate: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  /** Forgets what was received. */
  clear(): void;
  stop(): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
const DEFAULT_WAIT_MS = 30_000;

/** Starts the recorder on 127.0.0.1; every POST is answered 200 `{ok: true}` once recorded. */
export async function startRecorder(options: StartRecorderOptions = {}): Promise<Recorder> {
  const records: ReceivedRequest[] = [];
  const waiters = new Set<(request: ReceivedRequest) => void>();
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, { error: coerceError(error).message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (req.method === 'GET' && new URL(path, 'http://recorder').pathname === '/received') {
      answer(res, 200, records.map(publicView));
      return;
    }
    if (req.method !== 'POST') {
      answer(res, 405, { error: 'only POST is recorded' });
      return;
    }
    const raw = await readBody(req, maxBody);
    if (raw === null) {
      answer(res, 413, { error: `body larger than ${maxBody} bytes` });
      return;
    }
    const record = recordOf(path, req.headers, raw, options.signingKey);
    records.push(record);
    for (const waiter of [...waiters]) waiter(record);
    answer(res, 200, { ok: true });
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    url,
    port,
    receivedUrl: `${url}/received`,
    received: () => records,
    waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      const found = records.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching request within ${timeoutMs} ms (${records.length} received)`));
        }, timeoutMs);
        const check = (request: ReceivedRequest) => {
          if (!predicate(request)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(request);
        };
        waiters.add(check);
      });
    },
    clear: () => {
      records.length = 0;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function recordOf(
  path: string,
  headers: IncomingHttpHeaders,
  raw: Buffer,
  signingKey: string | undefined,
): ReceivedRequest {
  const text = raw.toString('utf8');
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  const token =
    typeof body === 'object' && body !== null && typeof (body as { token?: unknown }).token === 'string'
      ? (body as { token: string }).token
      : null;
  const base = { path, receivedAt: new Date().toISOString(), headers, body, token };
  const kind = noticeKind(path);
  if (token === null || signingKey === undefined || kind === null) {
    return { ...base, decoded: null, decodeError: null };
  }
  // Freshness is not checked: a recorder reports what arrived, however late.
  const decodeOptions = { keys: { current: signingKey }, freshness: null };
  try {
    const decoded: DecodedNotice =
      kind === 'payment-completed'
        ? { kind, fields: decodePaymentCompleted(token, decodeOptions) }
        : { kind, fields: decodePaymentFailed(token, decodeOptions) };
    return { ...base, decoded, decodeError: null };
  } catch (error) {
    return { ...base, decoded: null, decodeError: coerceError(error).message };
  }
}

function noticeKind(path: string): DecodedNotice['kind'] | null {
  const pathname = new URL(path, 'http://recorder').pathname.replace(/\/+$/, '');
  if (pathname.endsWith('/payment-completed')) return 'payment-completed';
  if (pathname.endsWith('/payment-failed')) return 'payment-failed';
  return null;
}

/** What `GET /received` shows: no request headers (they may carry an OIDC token). */
function publicView(record: ReceivedRequest) {
  return {
    path: record.path,
    receivedAt: record.receivedAt,
    token: record.token,
    decoded: record.decoded,
    decodeError: record.decodeError,
    body: record.body,
  };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
