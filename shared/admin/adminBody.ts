/** Request bodies of the admin API, validated with valibot (docs/architecture.md, "The flow"). */
import * as v from 'valibot';
import { RequestError } from '../http/requestError.js';
import { hasControlCharacter } from '../text.js';
import { OPERATOR_STATUSES } from './updateFailureStatus.js';

// Line breaks and tabs are fine in a note; NUL and other controls are refused before anything is done.
const notes = v.pipe(
  v.string(),
  v.maxLength(2000, 'must be at most 2000 characters'),
  v.check((text) => !hasControlCharacter(text, { allowLayout: true }), 'must not hold control characters'),
);

export const RetryBodySchema = v.strictObject(
  { force: v.optional(v.boolean('must be true or false')), notes: v.optional(notes) },
  'is not a known field',
);

export const StatusBodySchema = v.strictObject(
  {
    status: v.picklist(OPERATOR_STATUSES, `must be one of ${OPERATOR_STATUSES.join(', ')}`),
    admin_notes: v.optional(notes),
    recovery_tx_hash: v.optional(
      v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x and 64 hex digits')),
    ),
  },
  'is not a known field',
);

interface BodyRequest {
  body?: unknown;
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The JSON object of a POST or PUT (an empty body reads as `{}`), checked against `schema`. Too large:
 * 413; not JSON or not an object: 400; a field wrong: 400 naming it.
 */
export function readAdminBody<S extends v.GenericSchema>(
  req: BodyRequest,
  schema: S,
  maxBytes: number,
): v.InferOutput<S> {
  const size = req.rawBody?.length ?? Number(req.headers['content-length'] ?? 0);
  if (size > maxBytes)
    throw new RequestError(413, 'body_too_large', `body exceeds the ${maxBytes}-byte limit`);
  let body = req.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString().trim();
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new RequestError(400, 'malformed_json', 'body is not valid JSON');
    }
  }
  if (body === undefined) body = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'malformed_body', 'body must be a JSON object');
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = String(issue.path?.[0]?.key ?? 'body');
    throw new RequestError(400, 'invalid_body', `field ${field}: ${issue.message}`);
  }
  return parsed.output;
}
