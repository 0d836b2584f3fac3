/** Turns log fields into JSON-safe, redacted, bounded values (docs/architecture.md, "Observability"). */
import { isSecretField, REDACTED, type Redactor } from './redact.js';

const MAX_DEPTH = 6;
const MAX_ITEMS = 50;
const MAX_STRING = 8_000;
const MAX_CAUSES = 5;

function bounded(text: string): string {
  return text.length > MAX_STRING
    ? `${text.slice(0, MAX_STRING)}...[truncated ${text.length - MAX_STRING}]`
    : text;
}

/** `text` redacted, then cut to a bounded length. */
export function logText(text: string, redactor: Redactor): string {
  return bounded(redactor(text));
}

interface Walk {
  readonly redactor: Redactor;
  readonly seen: WeakSet<object>;
}

function serializeString(text: string, walk: Walk): string {
  // Redact first so truncation can never cut a secret in half and leave a piece.
  return bounded(walk.redactor(text));
}

function serializeError(
  error: Error,
  walk: Walk,
  depth: number,
  causeDepth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: error.name,
    message: serializeString(error.message, walk),
  };
  const extra = error as Error & { code?: unknown; shortMessage?: unknown; details?: unknown };
  if (typeof extra.code === 'string' || typeof extra.code === 'number') out.code = extra.code;
  if (typeof extra.shortMessage === 'string') out.short_message = serializeString(extra.shortMessage, walk);
  if (extra.details !== undefined && typeof extra.details === 'object') {
    out.details = toLogValue(extra.details, walk, depth + 1);
  }
  if (causeDepth === 0 && typeof error.stack === 'string') out.stack = serializeString(error.stack, walk);
  if (error.cause !== undefined && causeDepth < MAX_CAUSES) {
    out.cause =
      error.cause instanceof Error
        ? serializeError(error.cause, walk, depth, causeDepth + 1)
        : toLogValue(error.cause, walk, depth + 1);
  }
  return out;
}

/**
 * A JSON-safe copy of `value`: redacted strings, bigint as decimal strings, errors as objects; a
 * field whose name says it holds a credential is `[REDACTED]` whole, whatever it holds.
 */
export function toLogValue(value: unknown, walk: Walk, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      return serializeString(value, walk);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (walk.seen.has(object)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  walk.seen.add(object);
  try {
    if (object instanceof Error) return serializeError(object, walk, depth, 0);
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    // Raw bytes may be key material; only their size is logged.
    if (ArrayBuffer.isView(object)) return `[${object.byteLength} bytes]`;
    if (object instanceof Map) return toLogValue(Object.fromEntries(object), walk, depth);
    if (Array.isArray(object) || object instanceof Set) {
      const items = [...(object as Iterable<unknown>)];
      const out = items.slice(0, MAX_ITEMS).map((item) => toLogValue(item, walk, depth + 1) ?? null);
      if (items.length > MAX_ITEMS) out.push(`[${items.length - MAX_ITEMS} more]`);
      return out;
    }
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [name, item] of Object.entries(object)) {
      if (count++ >= MAX_ITEMS) break;
      const serialized =
        isSecretField(name) && item !== undefined ? REDACTED : toLogValue(item, walk, depth + 1);
      if (serialized !== undefined) out[walk.redactor(name)] = serialized;
    }
    return out;
  } finally {
    walk.seen.delete(object);
  }
}

/** Serializes `fields` for one line; a fresh walk per line keeps cycle tracking local. */
export function serializeFields(fields: Readonly<Record<string, unknown>>, redactor: Redactor) {
  return toLogValue(fields, { redactor, seen: new WeakSet() }) as Record<string, unknown>;
}
