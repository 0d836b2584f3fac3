/** Maps any thrown value to an error code, its retryability and the wait before retrying (docs/architecture.md, "Error codes"). */

import { ERROR_CODES, type ErrorCategory, type ErrorCode, HostpayError } from '../errors.js';
import { collectErrorNodes, messagesOf } from './errorGraph.js';
import { matchMessage, structuralVerdict, type Verdict } from './rules.js';

/** The outcome of {@link classifyError}. Every string in it is hostpay's own, never text from the error. */
export interface Classification {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  /** The code's fixed description from `ERROR_CODES`; safe to log and to send upstream. */
  readonly description: string;
  /** Seconds to wait before the next attempt; `null` when the error is not retryable. */
  readonly retryDelaySeconds: number | null;
  /**
   * True for "already known", "nonce too low" and a replaced transaction: not failures in
   * themselves but signs that a transaction at this nonce is in the pool or mined. The caller must
   * look up every stored hash of the payout before deciding anything (docs/architecture.md, "The flow" and "Error codes").
   */
  readonly lookup: boolean;
  /** The rule that decided, e.g. `ethers:NONCE_EXPIRED`, `json-rpc:3`, `errno:ECONNREFUSED`, `message:timeout`. */
  readonly source: string;
}

/** Waits between attempts (settings RETRY_DELAY_SECONDS and RATE_LIMIT_RETRY_DELAY_SECONDS). */
export interface RetryDelays {
  readonly defaultSeconds: number;
  readonly rateLimitSeconds: number;
}

const DEFAULT_DELAYS: RetryDelays = { defaultSeconds: 60, rateLimitSeconds: 300 };

function describe(code: ErrorCode, lookup: boolean, source: string, delays: RetryDelays): Classification {
  const spec = ERROR_CODES[code];
  const retryDelaySeconds = !spec.retryable
    ? null
    : code === 'RATE_LIMIT_EXCEEDED'
      ? delays.rateLimitSeconds
      : delays.defaultSeconds;
  return {
    code,
    category: spec.category,
    retryable: spec.retryable,
    description: spec.description,
    retryDelaySeconds,
    lookup,
    source,
  };
}

function isHostpayError(node: unknown): node is HostpayError {
  return node instanceof HostpayError;
}

/** A HostpayError keeps its code; a NONCE_CONFLICT one still tells whether its cause calls for a look-up. */
function fromHostpayError(err: HostpayError): Verdict {
  const below = err.cause === undefined ? undefined : decide(err.cause);
  const lookup = err.code === 'NONCE_CONFLICT' && below?.code === 'NONCE_CONFLICT' && below.lookup;
  return { code: err.code, rank: 0, lookup, source: 'hostpay' };
}

function decide(err: unknown): Verdict | undefined {
  const nodes = collectErrorNodes(err);
  const byRank: Array<Verdict | undefined> = [undefined, undefined, undefined];
  for (const node of nodes) {
    if (isHostpayError(node)) return fromHostpayError(node);
    const found = structuralVerdict(node);
    if (found === undefined) continue;
    if (found.rank === 0) return found;
    byRank[found.rank] ??= found;
  }
  if (byRank[1] !== undefined) return byRank[1];
  for (const node of nodes) {
    for (const text of messagesOf(node)) {
      const found = matchMessage(text, 1, 'message');
      if (found !== undefined) return found;
    }
  }
  return byRank[2];
}

/**
 * Classifies any thrown value (docs/architecture.md, "Error codes" docs/architecture.md, "Conventions"). Reads, outermost error first:
 * a HostpayError's own code; then structure anywhere in the `cause` / ethers `error` / `info.error`
 * chain (ethers v6 codes, JSON-RPC error codes and the node's message inside them, HTTP status,
 * Node errno codes); only then message patterns; anything else is `UNKNOWN_ERROR`.
 */
export function classifyError(err: unknown, delays: RetryDelays = DEFAULT_DELAYS): Classification {
  const found = decide(err);
  if (found === undefined) return describe('UNKNOWN_ERROR', false, 'none', delays);
  return describe(found.code, found.lookup, found.source, delays);
}
