/** One JSON line per event in Cloud Logging's structured format, redacted as it is built (DESIGN.md §9). */
import { createRedactor } from './redact.js';
import { logText, serializeFields } from './serialize.js';

/** Cloud Logging severities hostpay uses. */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** The DESIGN.md §9 fields, and any other structured facts; `error` may be an Error. */
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

// Core keys are set by the logger; fields cannot overwrite them.
const CORE_KEYS = new Set(['severity', 'message', 'event_type', 'time']);

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * A logger writing one JSON object per line (DESIGN.md §9): `severity`, `message`, `event_type`,
 * `time`, then the fields. Every string, error message and cause is redacted (registered secrets,
 * private-key-shaped hex, PEM blocks, keyed URLs) before the line exists; bigints become strings.
 * Hash rule: a value that is exactly `0x` + 64 hex under a key ending in `hash`/`hashes` (tx_hash,
 * blockHash) is kept; 64-hex anywhere else, free text included, is redacted as a possible key.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = createRedactor(options.secrets);
  const write = options.write ?? writeStdout;
  const now = options.now ?? (() => new Date());

  const make = (base: LogFields): Logger => {
    const event = (severity: Severity, eventType: string, message: string, fields: LogFields = {}) => {
      const rest: Record<string, unknown> = {};
      for (const [key, value] of Object.entries({ ...base, ...fields }))
        if (!CORE_KEYS.has(key)) rest[key] = value;
      const line = {
        severity,
        message: logText(message, redactor),
        event_type: logText(eventType, redactor),
        time: now().toISOString(),
        ...serializeFields(rest, redactor),
      };
      write(JSON.stringify(line));
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
