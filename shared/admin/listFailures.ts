/** `GET /failed-transactions`: the query, validated, and the page it selects (docs/architecture.md, "The flow" and "Database"). */
import * as v from 'valibot';
import {
  FAILED_TRANSACTION_STATUSES,
  type FailedTransaction,
  type ListFailedTransactionsParams,
  listFailedTransactions,
  MAX_LIST_LIMIT,
  type SqlClient,
} from '../db/index.js';
import { RequestError } from '../http/requestError.js';
import { CONTEXTS } from '../token/index.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date or date-time query parameter, as a Date. */
export const isoTimeParam = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(ISO_TIME, `${name} must be an ISO 8601 date or date-time`),
    v.transform((text) => new Date(text)),
    v.check((date) => !Number.isNaN(date.getTime()), `${name} is not a real date`),
  );

const integerParam = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,9}$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

/** Query parameters of the list; any other parameter is refused so a typo is not silently ignored. */
export const ListQuerySchema = v.strictObject(
  {
    status: v.optional(
      v.pipe(
        v.string(),
        v.transform((text) => text.split(',')),
        v.array(
          v.picklist(
            FAILED_TRANSACTION_STATUSES,
            `status must be one of ${FAILED_TRANSACTION_STATUSES.join(', ')}`,
          ),
        ),
      ),
    ),
    error_code: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'error_code must be an upper-case code')),
    ),
    context: v.optional(v.picklist(CONTEXTS, `context must be one of ${CONTEXTS.join(', ')}`)),
    since: v.optional(isoTimeParam('since')),
    until: v.optional(isoTimeParam('until')),
    limit: v.optional(integerParam('limit', 1, MAX_LIST_LIMIT)),
    offset: v.optional(integerParam('offset', 0, 1_000_000)),
  },
  'is not a known parameter',
);

/**
 * Reads the list's query parameters (as the Functions Framework parses them: strings, arrays for
 * repeats). Anything malformed is a RequestError 400 naming the parameter.
 */
export function parseListQuery(query: Record<string, unknown>): ListFailedTransactionsParams {
  const q = readQuery(ListQuerySchema, query);
  return {
    ...(q.status === undefined ? {} : { status: q.status }),
    ...(q.error_code === undefined ? {} : { errorCode: q.error_code }),
    ...(q.context === undefined ? {} : { context: q.context }),
    ...(q.since === undefined ? {} : { since: q.since }),
    ...(q.until === undefined ? {} : { until: q.until }),
    ...(q.limit === undefined ? {} : { limit: q.limit }),
    ...(q.offset === undefined ? {} : { offset: q.offset }),
  };
}

/** A query checked against `schema`: each parameter once, as text; a 400 naming the first one wrong. */
export function readQuery<S extends v.GenericSchema>(
  schema: S,
  query: Record<string, unknown>,
): v.InferOutput<S> {
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') {
      throw new RequestError(400, 'invalid_query', `query parameter ${name} must be given once, as text`);
    }
  }
  const parsed = v.safeParse(schema, query);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const name = issue.path?.[0]?.key;
    throw new RequestError(400, 'invalid_query', `query parameter ${String(name)}: ${issue.message}`);
  }
  return parsed.output;
}

/** A page of failures, newest first, and how many match in all. */
export function listFailures(
  sql: SqlClient,
  params: ListFailedTransactionsParams,
): Promise<{ items: FailedTransaction[]; total: number }> {
  return listFailedTransactions(sql, params);
}
