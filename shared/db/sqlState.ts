/** PostgreSQL errors told apart by SQLSTATE and socket error code, never by message text (docs/architecture.md, "The flow"). */
import { coerceError, HostpayError } from '../errors.js';

/** The SQLSTATE codes hostpay reacts to (PostgreSQL appendix A). */
export const SQLSTATE = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  NOT_NULL_VIOLATION: '23502',
  STRING_DATA_RIGHT_TRUNCATION: '22001',
  NUMERIC_VALUE_OUT_OF_RANGE: '22003',
  INVALID_TEXT_REPRESENTATION: '22P02',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  LOCK_NOT_AVAILABLE: '55P03',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
  INVALID_PASSWORD: '28P01',
  INVALID_CATALOG_NAME: '3D000',
} as const;

const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  SQLSTATE.ADMIN_SHUTDOWN,
  SQLSTATE.CRASH_SHUTDOWN,
  SQLSTATE.CANNOT_CONNECT_NOW,
  SQLSTATE.TOO_MANY_CONNECTIONS,
  SQLSTATE.INVALID_PASSWORD,
  SQLSTATE.INVALID_CATALOG_NAME,
]);

/** Node socket errors and postgres.js's own connection error codes. */
const UNAVAILABLE_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** The SQLSTATE of the first PostgreSQL server error in `error`'s cause chain. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'PostgresError' && typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function connectionCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name !== 'PostgresError' && typeof code === 'string' && UNAVAILABLE_CONNECTION_CODES.has(code)) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === SQLSTATE.UNIQUE_VIOLATION;
export const isForeignKeyViolation = (error: unknown): boolean =>
  sqlState(error) === SQLSTATE.FOREIGN_KEY_VIOLATION;
export const isCheckViolation = (error: unknown): boolean => sqlState(error) === SQLSTATE.CHECK_VIOLATION;
export const isSerializationFailure = (error: unknown): boolean =>
  sqlState(error) === SQLSTATE.SERIALIZATION_FAILURE;
export const isDeadlock = (error: unknown): boolean => sqlState(error) === SQLSTATE.DEADLOCK_DETECTED;
export const isLockNotAvailable = (error: unknown): boolean =>
  sqlState(error) === SQLSTATE.LOCK_NOT_AVAILABLE;

/** A transaction that lost a race (serialization failure or deadlock) and can be run again as a whole. */
export const isRetryableTransactionError = (error: unknown): boolean =>
  isSerializationFailure(error) || isDeadlock(error);

/** The database cannot be used right now: connection class 08, shutdown, refusal, or a socket failure. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || UNAVAILABLE_SQLSTATES.has(state);
  return connectionCode(error) !== undefined;
}

/** Turns an unavailable database into `DATABASE_UNAVAILABLE` (retryable, 5xx); other errors pass unchanged. */
export function toDatabaseError(error: unknown): Error {
  if (error instanceof HostpayError || !isDatabaseUnavailable(error)) return coerceError(error);
  const reason = sqlState(error) ?? connectionCode(error);
  return new HostpayError('DATABASE_UNAVAILABLE', `database unavailable (${reason})`, {
    cause: error,
    details: { reason },
  });
}

/** Runs one database operation and reports an unavailable database as `DATABASE_UNAVAILABLE`. */
export async function withDatabaseErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toDatabaseError(error);
  }
}
