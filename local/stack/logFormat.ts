/** The local stack's console: each function's JSON log events and each task delivery as one readable line. */
import type { DeliveryAttempt } from '../cloudTasks/index.js';

export interface FormatOptions {
  /** ANSI colours for severities (a terminal). */
  color?: boolean;
}

// Facts worth a glance beyond the fixed columns, in this order.
const EXTRA_KEYS = ['error_code', 'attempt', 'tx_hash', 'status'] as const;

const COLORS: Record<string, string> = {
  WARNING: '\u001b[33m',
  ERROR: '\u001b[31m',
  CRITICAL: '\u001b[1;31m',
  NOTICE: '\u001b[36m',
};
const RESET = '\u001b[0m';

/** `HH:MM:SS.mmm` in local time. */
export function clock(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** An event's time: the `timestamp` `{seconds, nanos}` hostpay's logger writes, or an RFC 3339 `time`. */
function eventTime(event: Record<string, unknown>): Date | undefined {
  const stamp = event.timestamp as { seconds?: unknown; nanos?: unknown } | undefined;
  if (typeof stamp?.seconds === 'number')
    return new Date(stamp.seconds * 1000 + Math.floor(Number(stamp.nanos ?? 0) / 1e6));
  if (typeof event.time === 'string' && !Number.isNaN(Date.parse(event.time))) return new Date(event.time);
  return undefined;
}

/**
 * One output line of a function: a structured event becomes `time function severity event_type
 * unique_id message [key=value...]`; any other line (the framework's own) is shown as it came.
 */
export function formatFunctionLine(
  fn: string,
  stream: 'stdout' | 'stderr',
  line: string,
  options: FormatOptions = {},
): string {
  const event = parseEvent(line);
  if (event === null)
    return `${clock(new Date())} ${fn.padEnd(15)} ${stream === 'stderr' ? '!' : ' '} ${line}`;
  const time = eventTime(event) ?? new Date();
  const severity = String(event.severity ?? 'DEFAULT');
  const shownSeverity =
    options.color && COLORS[severity]
      ? `${COLORS[severity]}${severity.padEnd(8)}${RESET}`
      : severity.padEnd(8);
  const extras = EXTRA_KEYS.filter((key) => event[key] !== undefined && event[key] !== null).map(
    (key) => `${key}=${String(event[key])}`,
  );
  return [
    clock(time),
    fn.padEnd(15),
    shownSeverity,
    String(event.event_type ?? '-').padEnd(28),
    String(event.unique_id ?? '-').padEnd(20),
    String(event.message ?? ''),
    ...extras,
  ].join(' ');
}

/**
 * One finished task delivery: queue, target, HTTP status, duration, what the queue does next. `names`
 * maps a target's origin (`http://127.0.0.1:<port>`) to what listens there.
 */
export function formatDelivery(
  attempt: DeliveryAttempt,
  names: Readonly<Record<string, string>> = {},
): string {
  const queue = attempt.queueName.split('/').pop() ?? attempt.queueName;
  let target = attempt.url;
  try {
    const url = new URL(attempt.url);
    target = `${names[url.origin] ?? url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    // Not a URL: shown as it is.
  }
  const result = attempt.status === null ? (attempt.error ?? 'no answer') : String(attempt.status);
  return [
    clock(new Date(attempt.dispatchedAtMs + attempt.durationMs)),
    'tasks'.padEnd(15),
    'TASK    ',
    `${queue} -> ${target}`.padEnd(28),
    attempt.taskId.slice(0, 20).padEnd(20),
    `${result} in ${attempt.durationMs} ms, ${attempt.outcome}`,
  ].join(' ');
}

function parseEvent(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
