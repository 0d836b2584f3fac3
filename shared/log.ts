/** Structured logging and redaction (DESIGN.md §3.5, §9). */
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type Severity,
} from './log/logger.js';
export { createRedactor, REDACTED, type Redactor, redact } from './log/redact.js';
export { SAMPLED_KEY, SPAN_KEY, TRACE_KEY, type TraceFields, traceFromHeaders } from './log/trace.js';
