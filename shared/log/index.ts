/** Structured logging and redaction (docs/architecture.md, "Observability"). */
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  REPORTED_ERROR_EVENT,
  type Severity,
} from './logger.js';
export { createRedactor, isSecretField, REDACTED, type Redactor, redact } from './redact.js';
export { SAMPLED_KEY, SPAN_KEY, TRACE_KEY, type TraceFields, traceFromHeaders } from './trace.js';
