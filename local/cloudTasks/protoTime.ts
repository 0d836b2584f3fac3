/** Conversions between protobuf Timestamp/Duration (as proto-loader hands them over) and milliseconds. */

/** A Timestamp or Duration as decoded with `longs: String`; clients may also send numbers. */
export interface ProtoSeconds {
  seconds?: string | number | null;
  nanos?: number | null;
}

export function protoToMs(value: ProtoSeconds | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) return null;
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

export function msToProto(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1e6 };
}

/** Seconds since the epoch with microsecond digits, as the `X-CloudTasks-TaskETA` header carries it. */
export function msToEtaHeader(ms: number): string {
  return (ms / 1000).toFixed(6);
}
