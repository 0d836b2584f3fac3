/** One HTTP delivery of a task, bounded by its dispatch deadline, as Cloud Tasks performs it. */
import { type ClientRequest, type Agent as HttpAgent, request as httpRequest } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { coerceError } from '../../shared/errors.js';

/** Keep this much of each response so tests can read what the handler answered. */
const RESPONSE_BODY_LIMIT = 64 * 1024;

export interface HttpDelivery {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  deadlineMs: number;
  signal: AbortSignal;
  agents: { http: HttpAgent; https: HttpsAgent };
}

/** `status` is null when no response arrived; `error` then says why (deadline, network, stopped). */
export interface HttpOutcome {
  status: number | null;
  responseBody: string;
  error: string | null;
}

/** Sends the request; never rejects. A response after the deadline counts as no response. */
export function sendHttpTask(delivery: HttpDelivery): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      delivery.signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(outcome);
    };
    const url = new URL(delivery.url);
    const isHttps = url.protocol === 'https:';
    const send = isHttps ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(url, {
        method: delivery.method,
        headers: { ...delivery.headers, 'Content-Length': String(delivery.body.length) },
        agent: isHttps ? delivery.agents.https : delivery.agents.http,
      });
    } catch (error) {
      settled = true;
      resolve({ status: null, responseBody: '', error: coerceError(error).message });
      return;
    }
    const deadline = setTimeout(
      () =>
        finish({
          status: null,
          responseBody: '',
          error: `dispatch deadline of ${delivery.deadlineMs} ms exceeded`,
        }),
      delivery.deadlineMs,
    );
    const onAbort = (): void => finish({ status: null, responseBody: '', error: 'emulator stopped' });
    delivery.signal.addEventListener('abort', onAbort);
    req.on('error', (error) => finish({ status: null, responseBody: '', error: error.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept >= RESPONSE_BODY_LIMIT) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('error', (error) => finish({ status: null, responseBody: '', error: error.message }));
      res.on('end', () =>
        finish({
          status: res.statusCode ?? null,
          responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
          error: null,
        }),
      );
    });
    if (delivery.signal.aborted) onAbort();
    else req.end(delivery.body);
  });
}
