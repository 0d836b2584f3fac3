/** `GET /stats?since=&bucket=`: the console's charts, computed in SQL (`shared/db/payoutStats.ts`); reads only. */
import * as v from 'valibot';
import type { SqlClient } from '../db/index.js';
import { payoutStats } from '../db/payoutStats.js';
import { RequestError } from '../http/requestError.js';
import { isoTimeParam, readQuery } from './listFailures.js';

/** At most this many buckets per answer: a day of minutes. */
export const MAX_BUCKETS = 1440;
const DEFAULT_WINDOW_SECONDS = 3600;

export const StatsQuerySchema = v.strictObject(
  {
    since: v.optional(isoTimeParam('since')),
    bucket: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,6}$/, 'bucket must be a whole number of seconds'),
        v.transform(Number),
        v.minValue(10, 'bucket must be at least 10 seconds'),
        v.maxValue(86_400, 'bucket must be at most 86400 seconds'),
      ),
    ),
  },
  'is not a known parameter',
);

export interface StatsQuery {
  since: Date;
  bucketSeconds: number;
}

/** The window and bucket width; default the last hour by minute; a window of more than MAX_BUCKETS is a 400. */
export function parseStatsQuery(query: Record<string, unknown>, now: number): StatsQuery {
  const q = readQuery(StatsQuerySchema, query);
  const bucketSeconds = q.bucket ?? 60;
  const since = q.since ?? new Date(now - DEFAULT_WINDOW_SECONDS * 1000);
  if (since.getTime() > now)
    throw new RequestError(400, 'invalid_query', 'query parameter since: is in the future');
  if ((now - since.getTime()) / 1000 / bucketSeconds > MAX_BUCKETS) {
    throw new RequestError(
      400,
      'invalid_query',
      `query parameter since: more than ${MAX_BUCKETS} buckets of ${bucketSeconds} s; choose a later since or a wider bucket`,
    );
  }
  return { since, bucketSeconds };
}

/** The JSON body of `GET /stats`: times as ISO 8601, durations in seconds. */
export async function readStats(sql: SqlClient, query: StatsQuery, now: number) {
  const stats = await payoutStats(sql, query);
  return {
    since: query.since.toISOString(),
    until: new Date(now).toISOString(),
    bucket_seconds: query.bucketSeconds,
    payouts: stats.payouts.map((r) => ({ bucket: r.bucket.toISOString(), status: r.status, count: r.count })),
    time_to_confirm: stats.timeToConfirm.map((r) => ({
      bucket: r.bucket.toISOString(),
      count: r.count,
      p50_seconds: r.p50Seconds,
      p95_seconds: r.p95Seconds,
    })),
    failures: stats.failures.map((r) => ({
      bucket: r.bucket.toISOString(),
      error_code: r.errorCode,
      count: r.count,
    })),
  };
}
