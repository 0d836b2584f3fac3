/** Cloud Logging trace fields from a request's trace headers. */

export const TRACE_KEY = 'logging.googleapis.com/trace';
export const SPAN_KEY = 'logging.googleapis.com/spanId';
export const SAMPLED_KEY = 'logging.googleapis.com/trace_sampled';

/** The special fields Cloud Logging reads to join a line to its trace. */
export interface TraceFields {
  readonly [TRACE_KEY]?: string;
  readonly [SPAN_KEY]?: string;
  readonly [SAMPLED_KEY]?: boolean;
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

interface TraceContext {
  readonly traceId: string;
  readonly spanId: string | undefined;
  readonly sampled: boolean;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return (Array.isArray(value) ? value[0] : value) as string | undefined;
  }
  return undefined;
}

/** W3C `traceparent`: `<version>-<32 hex trace>-<16 hex span>-<2 hex flags>`; version ff is invalid. */
function parseTraceparent(value: string): TraceContext | undefined {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(
    value.trim().toLowerCase(),
  );
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (!traceId || !spanId || !flags || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** `X-Cloud-Trace-Context`: `TRACE_ID/SPAN_ID;o=1`, the span id in decimal, span and option optional. */
function parseCloudTraceContext(value: string): TraceContext | undefined {
  const match = /^([0-9a-f]{32})(?:\/([0-9]{1,20}))?(?:;o=([0-9]))?$/.exec(value.trim().toLowerCase());
  if (!match?.[1] || match[1] === ZERO_TRACE) return undefined;
  const span = match[2] === undefined ? 0n : BigInt(match[2]);
  // Cloud Logging wants the span as 16 hex digits; a decimal id beyond 64 bits is not a span id.
  const spanId = span > 0n && span < 2n ** 64n ? span.toString(16).padStart(16, '0') : undefined;
  return { traceId: match[1], spanId, sampled: match[3] === '1' };
}

/**
 * The trace fields for a request: from `traceparent` when valid, else from
 * `X-Cloud-Trace-Context`; none without a project or a readable header.
 */
export function traceFromHeaders(headers: Headers, project: string | undefined): TraceFields {
  if (!project) return {};
  const traceparent = header(headers, 'traceparent');
  const cloud = header(headers, 'x-cloud-trace-context');
  const context =
    (traceparent === undefined ? undefined : parseTraceparent(traceparent)) ??
    (cloud === undefined ? undefined : parseCloudTraceContext(cloud));
  if (!context) return {};
  return {
    [TRACE_KEY]: `projects/${project}/traces/${context.traceId}`,
    ...(context.spanId === undefined ? {} : { [SPAN_KEY]: context.spanId }),
    [SAMPLED_KEY]: context.sampled,
  };
}
