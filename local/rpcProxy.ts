/**
 * A JSON-RPC HTTP proxy in front of a node that counts every call by method and can answer HTTP 429,
 * drop the connection or delay, for the next N requests carrying a method or for all requests. Tests
 * count the RPC calls of one payout through it (docs/architecture.md, "The flow") and make rate limits real.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultSpec {
  /** Only requests carrying this method (alone or in a batch); omitted: every request. */
  method?: string;
  /** How many matching requests; omitted: until cleared. */
  times?: number;
}

export interface RpcProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Calls received per method since the last reset, batches counted call by call. */
  counts(): Record<string, number>;
  /** Every method received since the last reset, in order. */
  methods(): string[];
  /** HTTP requests received since the last reset (a batch is one). */
  httpRequests(): number;
  /** Sum of `counts()`. */
  totalCalls(): number;
  reset(): void;
  /** Answers HTTP 429 with a JSON-RPC error body, as RPC providers do when rate limiting. */
  rateLimit(spec?: FaultSpec): void;
  /** Closes the connection without an answer. */
  drop(spec?: FaultSpec): void;
  /** Forwards after `ms`. */
  delay(spec: FaultSpec & { ms: number }): void;
  /**
   * Forwards, then answers `null` for each call of `method` in the request, as a node whose transaction
   * index lags behind its chain does for a receipt.
   */
  nullResult(spec: FaultSpec & { method: string }): void;
  /**
   * Faults a share `rate` of every request at random, each with one of: HTTP 429, HTTP 502, the connection
   * reset after the node acted on the request, or a stall of `stallMs` before forwarding. Off with
   * `clearFaults`.
   */
  chaos(spec: { rate: number; stallMs: number; random?: () => number }): void;
  /** Requests faulted so far, by kind (rate_limit, bad_gateway, reset_after, stall, and the targeted ones). */
  faultCounts(): Record<string, number>;
  clearFaults(): void;
  stop(): Promise<void>;
}

interface Fault {
  kind: 'rate_limit' | 'drop' | 'delay' | 'null_result' | 'bad_gateway' | 'reset_after';
  method: string | undefined;
  left: number;
  ms: number;
}

interface RpcCall {
  id?: unknown;
  method?: unknown;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Starts the proxy on 127.0.0.1 and a random port, forwarding to `target`. */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  let counts: Record<string, number> = {};
  let methods: string[] = [];
  let httpRequests = 0;
  let faults: Fault[] = [];
  let chaos: { rate: number; stallMs: number; random: () => number } | undefined;
  const faulted: Record<string, number> = {};
  const CHAOS_KINDS = ['rate_limit', 'bad_gateway', 'reset_after', 'delay'] as const;

  const takeFault = (calls: RpcCall[]): Fault | undefined => {
    const names = new Set(calls.map((call) => String(call.method)));
    const fault = faults.find((f) => f.left > 0 && (f.method === undefined || names.has(f.method)));
    if (fault) fault.left -= 1;
    if (!fault && chaos && chaos.random() < chaos.rate) {
      const kind = CHAOS_KINDS[Math.floor(chaos.random() * CHAOS_KINDS.length)]!;
      return { kind, method: undefined, left: 0, ms: chaos.stallMs };
    }
    return fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    httpRequests += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const calls: RpcCall[] = (Array.isArray(parsed) ? parsed : [parsed]).filter(
      (call): call is RpcCall => typeof call === 'object' && call !== null,
    );
    for (const call of calls) {
      const method = String(call.method);
      counts[method] = (counts[method] ?? 0) + 1;
      methods.push(method);
    }
    const fault = takeFault(calls);
    if (fault) {
      const name = fault.kind === 'delay' ? 'stall' : fault.kind;
      faulted[name] = (faulted[name] ?? 0) + 1;
    }
    if (fault?.kind === 'bad_gateway') {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
      return;
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'rate_limit') {
      const error = (call: RpcCall) => ({
        jsonrpc: '2.0',
        id: call.id ?? null,
        error: { code: -32005, message: 'Too Many Requests: request rate limit exceeded' },
      });
      const answer = Array.isArray(parsed) ? calls.map(error) : error(calls[0] ?? {});
      res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    let text = await upstream.text();
    if (fault?.kind === 'reset_after') {
      // The node has acted (a transaction may be in its pool); the caller never hears of it.
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'null_result') text = nullResults(text, calls, fault.method);
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const addFault = (kind: Fault['kind'], spec: FaultSpec = {}, ms = 0) => {
    faults.push({ kind, method: spec.method, left: spec.times ?? Number.POSITIVE_INFINITY, ms });
  };
  let stopping: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    methods: () => [...methods],
    httpRequests: () => httpRequests,
    totalCalls: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset() {
      counts = {};
      methods = [];
      httpRequests = 0;
    },
    rateLimit: (spec) => addFault('rate_limit', spec),
    drop: (spec) => addFault('drop', spec),
    delay: (spec) => addFault('delay', spec, spec.ms),
    nullResult: (spec) => addFault('null_result', spec),
    chaos: (spec) => {
      chaos = { random: Math.random, ...spec };
    },
    faultCounts: () => ({ ...faulted }),
    clearFaults() {
      faults = [];
      chaos = undefined;
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

/** The node's answer with the result of every call of `method` replaced by null. */
function nullResults(text: string, calls: RpcCall[], method: string | undefined): string {
  const ids = new Set(calls.filter((call) => call.method === method).map((call) => JSON.stringify(call.id)));
  const blank = (answer: { id?: unknown; result?: unknown }) =>
    ids.has(JSON.stringify(answer.id)) && 'result' in answer ? { ...answer, result: null } : answer;
  const parsed = JSON.parse(text) as unknown;
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(blank) : blank(parsed as { id?: unknown }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
