import { RequestError } from './requestError.js';

/** The parts of a Functions Framework request that body parsing reads. */
export interface BodyRequest {
  method: string;
  body?: unknown;
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** Reads a POSTed JSON object of at most `maxBytes`; refuses a wrong method, size or shape. */
export function readJsonBody(req: BodyRequest, maxBytes: number): Record<string, unknown> {
  if (req.method !== 'POST') throw new RequestError(405, 'method_not_allowed', 'use POST');
  const size = req.rawBody?.length ?? Number(req.headers['content-length'] ?? 0);
  if (size > maxBytes) {
    throw new RequestError(413, 'body_too_large', `body of ${size} bytes exceeds the ${maxBytes}-byte limit`);
  }
  let body = req.body;
  // The framework parses application/json itself; any other content type arrives as text or a buffer.
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString());
    } catch {
      throw new RequestError(400, 'malformed_json', 'body is not valid JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'malformed_body', 'body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * Reads `{"token": "..."}` from a task delivery (docs/architecture.md, "The flow"). Refuses a wrong method,
 * an oversized body, a body that is not a JSON object and a missing or non-string token.
 */
export function readTokenBody(req: BodyRequest, maxBytes: number): { token: string } {
  const token = readJsonBody(req, maxBytes).token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new RequestError(
      400,
      'missing_token',
      'body must be a JSON object with a non-empty string "token"',
    );
  }
  return { token };
}
