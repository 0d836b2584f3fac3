/**
 * One JSON line per event in Cloud Logging's structured format, built by `@google-cloud/logging`
 * and redacted before it exists (docs/architecture.md, "Observability").
 */
// The entry module alone: the package's index loads its API clients too (+40 MiB, +300 ms at cold start).
import { Entry } from '@google-cloud/logging/build/src/entry.js';
import { createRedactor, type Redactor } from './redact.js';
import { logText, serializeFields } from './serialize.js';
import { SAMPLED_KEY, SPAN_KEY, TRACE_KEY } from './trace.js';

/** Cloud Logging severities hostpay uses. */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** The event fields, and any other structured facts; `error` may be an Error. */
export interface LogFields {
  readonly unique_id?: string;
  readonly error_code?: string;
  readonly context?: string;
  readonly attempt?: number;
  readonly tx_hash?: string;
  readonly function?: string;
  readonly error?: unknown;
  readonly [key: string]: unknown;
}

type Shorthand = (eventType: string, message: string, fields?: LogFields) => void;

export interface Logger {
  event(severity: Severity, eventType: string, message: string, fields?: LogFields): void;
  debug: Shorthand;
  info: Shorthand;
  notice: Shorthand;
  warn: Shorthand;
  error: Shorthand;
  critical: Shorthand;
  /** A logger whose lines also carry `fields` (for example `function` and the trace fields). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Receives each line without its newline; stdout by default. */
  readonly write?: (line: string) => void;
  /** Values never to print, e.g. `config.secretValues`. */
  readonly secrets?: readonly string[];
  readonly base?: LogFields;
  readonly now?: () => Date;
}

/** The `@type` that makes Error Reporting take an entry as an error event, whatever else it holds. */
export const REPORTED_ERROR_EVENT =
  'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent';

// Severities whose events carrying an Error are reported to Error Reporting.
const REPORTED = new Set<Severity>(['ERROR', 'CRITICAL']);

// Keys the logger or Cloud Logging gives a meaning to; a field cannot set them. Fields would
// otherwise win: the package merges the payload over the entry's own keys.
const CORE_KEYS = new Set([
  'severity',
  'message',
  'event_type',
  'time',
  'timestamp',
  'httpRequest',
  'logName',
  '@type',
  'stack_trace',
  'exception',
  'serviceContext',
]);
const SPECIAL_PREFIX = 'logging.googleapis.com/';

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The trace fields, moved from the event's fields to the entry's own trace, span and sampled keys. */
function traceMetadata(fields: Readonly<Record<string, unknown>>, redactor: Redactor) {
  const trace = typeof fields[TRACE_KEY] === 'string' ? logText(fields[TRACE_KEY], redactor) : undefined;
  const span = typeof fields[SPAN_KEY] === 'string' ? logText(fields[SPAN_KEY], redactor) : undefined;
  const sampled = fields[SAMPLED_KEY];
  return {
    ...(trace === undefined ? {} : { trace }),
    ...(span === undefined ? {} : { spanId: span }),
    ...(typeof sampled === 'boolean' ? { traceSampled: sampled } : {}),
  };
}

/**
 * A logger writing one JSON object per line: the entry `@google-cloud/logging` builds for an agent
 * (`severity`, `timestamp`, `logging.googleapis.com/insertId`, `/labels` with the function, `/trace`,
 * `/spanId`, `/trace_sampled`), with the payload merged in: `message`, `event_type`, then the
 * fields. An ERROR or CRITICAL event carrying an Error also gets `@type` ReportedErrorEvent and the
 * error's V8 stack as `stack_trace`, where Error Reporting reads it.
 *
 * Why `Entry#toStructuredJSON` and not `LogSync#write`: LogSync calls the same serializer, but it
 * also writes a once-per-process diagnostic entry of its own (a line that is no event), swallows any
 * error while writing (an event lost without a trace), and needs a `Logging` client with a project
 * id (else `projects/{{projectId}}` lands in every line). Building the entry and writing the line
 * here keeps exactly one synchronous line per event and constructs no client: nothing reaches a
 * Google API or the metadata server.
 *
 * Redaction: every string, error message, stack and cause loses registered secrets, PEM blocks and
 * keyed URLs; a field named for a credential (`privateKey`, `authorization`, `token`...) is
 * `[REDACTED]` whole; bigints become strings. A 32-byte hex string (a transaction hash) is kept.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = createRedactor(options.secrets);
  const write = options.write ?? writeStdout;
  const now = options.now ?? (() => new Date());

  const make = (base: LogFields): Logger => {
    const event = (severity: Severity, eventType: string, message: string, fields: LogFields = {}) => {
      const merged: Record<string, unknown> = { ...base, ...fields };
      const rest: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(merged))
        if (!CORE_KEYS.has(key) && !key.startsWith(SPECIAL_PREFIX)) rest[key] = value;
      const payload: Record<string, unknown> = {
        message: logText(message, redactor),
        event_type: logText(eventType, redactor),
        ...serializeFields(rest, redactor),
      };
      const error = merged.error;
      if (REPORTED.has(severity) && error instanceof Error && typeof error.stack === 'string') {
        payload['@type'] = REPORTED_ERROR_EVENT;
        payload.stack_trace = logText(error.stack, redactor);
        // The stack is in stack_trace now; the nested error keeps name, message, code and causes.
        const nested = payload.error;
        if (nested !== null && typeof nested === 'object') delete (nested as { stack?: unknown }).stack;
      }
      const functionName = typeof payload.function === 'string' ? payload.function : undefined;
      const entry = new Entry(
        {
          severity,
          timestamp: now(),
          ...(functionName === undefined ? {} : { labels: { function: functionName } }),
          ...traceMetadata(merged, redactor),
        },
        payload,
      );
      write(JSON.stringify(entry.toStructuredJSON(undefined, false)));
    };
    const shorthand =
      (severity: Severity): Shorthand =>
      (eventType, message, fields) =>
        event(severity, eventType, message, fields);
    return {
      event,
      debug: shorthand('DEBUG'),
      info: shorthand('INFO'),
      notice: shorthand('NOTICE'),
      warn: shorthand('WARNING'),
      error: shorthand('ERROR'),
      critical: shorthand('CRITICAL'),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}
