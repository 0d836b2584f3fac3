/** Read-only figures for the operators' console: payouts, time to confirm and failures per time bucket. */
import type { SqlClient } from './client.js';
import { withDatabaseErrors } from './sqlState.js';

export interface PayoutStatsParams {
  /** Start of the window, inclusive; buckets are aligned to multiples of `bucketSeconds` since the epoch. */
  since: Date;
  /** Bucket width in whole seconds. */
  bucketSeconds: number;
}

export interface PayoutStats {
  /** Payouts created in the bucket, by their status now. */
  payouts: { bucket: Date; status: string; count: number }[];
  /** Payouts confirmed in the bucket: seconds from the first delivery (`created_at`) to `confirmed_at`. */
  timeToConfirm: { bucket: Date; count: number; p50Seconds: number; p95Seconds: number }[];
  /** failed_transactions rows recorded in the bucket, by error code. */
  failures: { bucket: Date; errorCode: string; count: number }[];
}

/** Three grouped queries (charts, so not one snapshot); percentiles by PostgreSQL's `percentile_cont`. */
export function payoutStats(sql: SqlClient, params: PayoutStatsParams): Promise<PayoutStats> {
  const width = Math.trunc(params.bucketSeconds);
  const since = params.since;
  const bucketOf = (column: string) =>
    sql`to_timestamp(floor(extract(epoch FROM ${sql(column)}) / ${width}) * ${width})`;
  return withDatabaseErrors(async () => {
    const payouts = await sql<{ bucket: Date; status: string; count: number }[]>`
        SELECT ${bucketOf('created_at')} AS bucket, status, count(*)::int AS count
        FROM payouts WHERE created_at >= ${since}
        GROUP BY 1, 2 ORDER BY 1, 2`;
    const confirm = await sql<{ bucket: Date; count: number; p50: number; p95: number }[]>`
        SELECT ${bucketOf('confirmed_at')} AS bucket, count(*)::int AS count,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - created_at))::float8 AS p50,
          percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - created_at))::float8 AS p95
        FROM payouts WHERE status = 'confirmed' AND confirmed_at >= ${since}
        GROUP BY 1 ORDER BY 1`;
    const failures = await sql<{ bucket: Date; error_code: string; count: number }[]>`
        SELECT ${bucketOf('created_at')} AS bucket, error_code, count(*)::int AS count
        FROM failed_transactions WHERE created_at >= ${since}
        GROUP BY 1, 2 ORDER BY 1, 2`;
    return {
      payouts: payouts.map((r) => ({ bucket: r.bucket, status: r.status, count: r.count })),
      timeToConfirm: confirm.map((r) => ({
        bucket: r.bucket,
        count: r.count,
        p50Seconds: r.p50,
        p95Seconds: r.p95,
      })),
      failures: failures.map((r) => ({ bucket: r.bucket, errorCode: r.error_code, count: r.count })),
    };
  });
}
