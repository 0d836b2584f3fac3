/** Error codes and the one error class every module throws (docs/architecture.md, "Error codes" docs/architecture.md, "Conventions"). */

/** `fence`: the delivery may no longer act on the payout (docs/architecture.md, "The fence"); it stops, changing nothing. */
export type ErrorCategory =
  | 'permanent'
  | 'transient'
  | 'config'
  | 'unknown'
  | 'token'
  | 'infrastructure'
  | 'fence';

interface CodeSpec {
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly description: string;
}

/** Every code hostpay can report; `retryable` says whether another attempt can help. */
export const ERROR_CODES = {
  INSUFFICIENT_FUNDS: {
    category: 'permanent',
    retryable: false,
    description: 'The hot wallet cannot cover the amount plus fees.',
  },
  INVALID_ADDRESS: {
    category: 'permanent',
    retryable: false,
    description: 'The recipient address is malformed, has a bad checksum or is the zero address.',
  },
  INVALID_AMOUNT: {
    category: 'permanent',
    retryable: false,
    description: 'The amount is not a positive decimal within the currency cap.',
  },
  UNSUPPORTED_CURRENCY: {
    category: 'permanent',
    retryable: false,
    description: 'The currency or network is not configured for payouts.',
  },
  TRANSACTION_REVERTED_PERMANENT: {
    category: 'permanent',
    retryable: false,
    description: 'The transaction was mined and reverted, or would revert.',
  },
  INVALID_REQUEST: {
    category: 'permanent',
    retryable: false,
    description:
      'A signed identifier holds a character the ledger cannot take (NUL or another control character).',
  },
  TOKEN_EXPIRED: {
    category: 'permanent',
    retryable: false,
    description: 'The signed request is outside its freshness window.',
  },
  NETWORK_TIMEOUT: {
    category: 'transient',
    retryable: true,
    description: 'The RPC endpoint did not answer in time.',
  },
  RATE_LIMIT_EXCEEDED: {
    category: 'transient',
    retryable: true,
    description: 'The RPC endpoint is rate limiting requests.',
  },
  NONCE_CONFLICT: {
    category: 'transient',
    retryable: true,
    description: 'The nonce was taken or the replacement was underpriced.',
  },
  GAS_PRICE_SPIKE: {
    category: 'transient',
    retryable: true,
    description: 'Network fees are above the configured cap.',
  },
  CONFIRMATION_TIMEOUT: {
    category: 'transient',
    retryable: true,
    description: 'The transaction was not confirmed within the wait bound.',
  },
  RPC_CONNECTION_FAILED: {
    category: 'config',
    retryable: false,
    description: 'The RPC endpoint refused the connection or could not be reached.',
  },
  WALLET_UNLOCKED_FAILED: {
    category: 'config',
    retryable: false,
    description: 'The hot wallet key could not be loaded.',
  },
  WEB3_INITIALIZATION_FAILED: {
    category: 'config',
    retryable: false,
    description: 'The chain client could not be initialised.',
  },
  UNKNOWN_ERROR: {
    category: 'unknown',
    retryable: false,
    description: 'An error that matches no known pattern.',
  },
  TOKEN_MALFORMED: {
    category: 'token',
    retryable: false,
    description: 'The token is not a well-formed signed token.',
  },
  TOKEN_BAD_SIGNATURE: {
    category: 'token',
    retryable: false,
    description: 'The token signature does not match any configured key.',
  },
  CONFIG_INVALID: { category: 'config', retryable: false, description: 'A setting is missing or malformed.' },
  DATABASE_UNAVAILABLE: {
    category: 'infrastructure',
    retryable: true,
    description: 'The database could not be reached or refused the operation.',
  },
  QUEUE_UNAVAILABLE: {
    category: 'infrastructure',
    retryable: true,
    description: 'Cloud Tasks could not be reached.',
  },
  LEASE_LOST: {
    category: 'fence',
    retryable: false,
    description:
      'Another delivery holds the payout now, or it is settled; this delivery stops and changes nothing.',
  },
  CANCEL_REQUESTED: {
    category: 'fence',
    retryable: false,
    description:
      'An operator asked for the payout to be cancelled; no transfer may be signed for it any more.',
  },
  STATUS_TRANSITION_REFUSED: {
    category: 'permanent',
    retryable: false,
    description: 'A stored status change is not allowed from the current status.',
  },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The one error class: a code, its category and retryability, and the native `cause`. */
export class HostpayError extends Error {
  override readonly name = 'HostpayError';
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  /** Extra structured facts safe to log (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = ERROR_CODES[code].category;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details ?? {};
  }

  /** Yields this error and each `cause` below it, at most `depth` deep. */
  *walk(depth = 8): Generator<unknown> {
    let current: unknown = this;
    for (let i = 0; i < depth && current !== undefined && current !== null; i++) {
      yield current;
      current = (current as { cause?: unknown }).cause;
    }
  }
}

/** Turns anything caught into an Error (docs/architecture.md, "Conventions": `coerceError` at every catch). */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
