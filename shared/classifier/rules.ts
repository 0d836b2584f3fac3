/**
 * Static classification tables (docs/architecture.md, "Error codes"): ethers v6 codes, JSON-RPC codes, HTTP statuses,
 * Node errno codes, and the node and message patterns read last, in the spirit of viem's
 * `nodeMessage` fields (src/errors/node.ts).
 */
import type { ErrorCode } from '../errors.js';
import { type ErrorNode, httpStatusOf, isJsonRpcError } from './errorGraph.js';

/**
 * What one rule concluded. `rank` 0 is proof (a code that means exactly this), 1 a strong hint,
 * 2 a container's default that any message pattern overrides. `lookup`: our transaction may be
 * in the pool or mined already, look its hashes up before anything else (docs/architecture.md, "The flow" and "Error codes").
 */
export interface Verdict {
  readonly code: ErrorCode;
  readonly rank: 0 | 1 | 2;
  readonly lookup: boolean;
  /** Which rule matched, from this table only (never text from the error, so never a secret). */
  readonly source: string;
}

interface MessageRule {
  readonly pattern: RegExp;
  readonly code: ErrorCode;
  readonly lookup?: boolean;
  readonly label: string;
}

/**
 * Message patterns, most specific first. Spellings from geth and Erigon ("nonce too low",
 * "already known", "ALREADY_EXISTS: already known", "INVALID: IntrinsicGas"), Nethermind
 * ("OldNonce", "AlreadyKnown", "InsufficientFunds, Account balance: ...", "FeeTooLow, MaxFeePerGas
 * too low"), Besu ("Nonce too low", "Known transaction", "Upfront cost exceeds account balance",
 * "Gas price below current base fee", "Intrinsic gas exceeds gas limit"), anvil ("transaction
 * already imported"), OpenEthereum, RPC providers, and the upstream's own vectors.
 */
export const MESSAGE_RULES: readonly MessageRule[] = [
  {
    label: 'already known',
    code: 'NONCE_CONFLICT',
    lookup: true,
    pattern:
      /already known|known transaction|\bAlreadyKnown\b|already imported|existing tx with same hash|\bOwnNonceAlreadyUsed\b|ALREADY_EXISTS/i,
  },
  {
    label: 'nonce too low',
    code: 'NONCE_CONFLICT',
    lookup: true,
    pattern: /nonce (is )?too low|\bOldNonce\b|nonce has already been used|too stale nonce/i,
  },
  {
    label: 'replacement underpriced',
    code: 'NONCE_CONFLICT',
    pattern:
      /replacement (transaction|fee) (underpriced|too low)|\bFeeTooLowToCompete\b|\bReplacementNotAllowed\b|another transaction with same nonce|could not replace existing tx/i,
  },
  { label: 'nonce too high', code: 'NONCE_CONFLICT', pattern: /nonce too high|\bNonceGap\b/i },
  {
    label: 'intrinsic gas too low',
    code: 'TRANSACTION_REVERTED_PERMANENT',
    pattern:
      /intrinsic gas (too low|exceeds gas limit)|\bIntrinsicGas(TooLow)?\b|gas limit is below intrinsic gas/i,
  },
  {
    label: 'execution reverted',
    code: 'TRANSACTION_REVERTED_PERMANENT',
    pattern: /revert|VM execution error|VM Exception/i,
  },
  {
    label: 'insufficient funds',
    code: 'INSUFFICIENT_FUNDS',
    pattern:
      /insufficient (funds|balance for transfer)|\bInsufficientFunds\b|upfront cost exceeds account balance|exceeds transaction sender account balance|(doesn't|does not) have enough funds|not enough funds/i,
  },
  {
    label: 'fee below base fee',
    code: 'GAS_PRICE_SPIKE',
    pattern:
      /(max fee per gas|fee cap|gas price) (less than|below) (the )?(block|current) base ?fee|\bFeeTooLow\b|fee too low|transaction underpriced|gas price too low|below configured minimum gas price/i,
  },
  {
    label: 'fee above cap',
    code: 'GAS_PRICE_SPIKE',
    pattern:
      /gas price (is )?too high|fee (is )?too high|exceeds the configured cap|fee cap exceeded|above the (configured )?(fee )?cap/i,
  },
  {
    label: 'rate limited',
    code: 'RATE_LIMIT_EXCEEDED',
    pattern:
      /\b429\b|too many requests|rate[ -]?limit|request limit|request count exceeded|compute units|(?<!gas )limit exceeded|exceeded (the |its )?(quota|capacity)/i,
  },
  {
    label: 'confirmation timeout',
    code: 'CONFIRMATION_TIMEOUT',
    pattern:
      /confirmation timeout|not confirmed (in|within)|wait for transaction timeout|timed? ?out waiting for (the )?(receipt|confirmation)/i,
  },
  {
    label: 'connection failed',
    code: 'RPC_CONNECTION_FAILED',
    pattern:
      /connection refused|ECONNREFUSED|ENOTFOUND|getaddrinfo|(failed|unable|could not) to connect|could not detect network|failed to detect network|invalid json rpc response|unauthorized|invalid api key|forbidden/i,
  },
  {
    label: 'timeout',
    code: 'NETWORK_TIMEOUT',
    pattern:
      /time(d)? ?out|ETIMEDOUT|ECONNRESET|socket hang up|network (error|is unreachable)|EAI_AGAIN|bad gateway|service unavailable|gateway timeout/i,
  },
  {
    label: 'invalid address',
    code: 'INVALID_ADDRESS',
    pattern:
      /invalid (recipient |to )?address|address checksum|bad address|malformed address|zero address|unconfigured name/i,
  },
  {
    label: 'invalid amount',
    code: 'INVALID_AMOUNT',
    pattern:
      /invalid amount|amount (is |must be )?(negative|zero|too (large|small)|positive)|negative (amount|value)|exceeds (the )?(payment )?cap/i,
  },
  {
    label: 'wallet',
    code: 'WALLET_UNLOCKED_FAILED',
    pattern:
      /wallet (unlock|lock|key)|unlock(ing)? (the )?wallet|private key|invalid (signing )?key|keystore|decrypt/i,
  },
  {
    label: 'initialisation',
    code: 'WEB3_INITIALIZATION_FAILED',
    pattern: /(web3|client|provider|signer) (initiali[sz]ation|init) failed|failed to initiali[sz]e/i,
  },
];

/** The first rule matching `text`, as a verdict of `rank`. */
export function matchMessage(text: string, rank: 0 | 1 | 2, prefix: string): Verdict | undefined {
  const rule = MESSAGE_RULES.find((candidate) => candidate.pattern.test(text));
  return rule === undefined
    ? undefined
    : { code: rule.code, rank, lookup: rule.lookup === true, source: `${prefix}:${rule.label}` };
}

function verdict(code: ErrorCode, rank: 0 | 1 | 2, source: string, lookup = false): Verdict {
  return { code, rank, lookup, source };
}

/** ethers v6 `code` → verdict; `undefined` for codes that only wrap the error that matters. */
function ethersVerdict(node: ErrorNode): Verdict | undefined {
  const code = node.code;
  const source = `ethers:${String(code)}`;
  switch (code) {
    case 'INSUFFICIENT_FUNDS':
      return verdict('INSUFFICIENT_FUNDS', 0, source);
    case 'NONCE_EXPIRED':
      return verdict('NONCE_CONFLICT', 0, source, true);
    case 'REPLACEMENT_UNDERPRICED':
      return verdict('NONCE_CONFLICT', 0, source);
    case 'TRANSACTION_REPLACED':
      // Another transaction took the nonce: find out which of ours, if any, was mined.
      return verdict('NONCE_CONFLICT', 0, source, true);
    case 'TIMEOUT': {
      const waitedForReceipt =
        node.shortMessage === 'wait for transaction timeout' ||
        (node.shortMessage === 'timeout' && node.reason === 'timeout' && node.request === undefined);
      return verdict(waitedForReceipt ? 'CONFIRMATION_TIMEOUT' : 'NETWORK_TIMEOUT', 0, source);
    }
    case 'CALL_EXCEPTION': {
      // Without revert data, a reason or a receipt the node may have failed for another reason below.
      const proven =
        node.receipt != null || node.reason != null || (typeof node.data === 'string' && node.data !== '');
      return verdict('TRANSACTION_REVERTED_PERMANENT', proven ? 0 : 2, source);
    }
    case 'INVALID_ARGUMENT':
      return typeof node.argument === 'string' && /address|^to$|^from$/i.test(node.argument)
        ? verdict('INVALID_ADDRESS', 0, source)
        : undefined;
    case 'UNCONFIGURED_NAME':
      return verdict('INVALID_ADDRESS', 0, source);
    case 'UNSUPPORTED_OPERATION':
      // A recipient that is not a hex address makes ethers try to resolve it as an ENS name.
      return node.operation === 'getEnsAddress' || node.operation === 'resolveName'
        ? verdict('INVALID_ADDRESS', 0, source)
        : undefined;
    case 'SERVER_ERROR':
      return verdict('NETWORK_TIMEOUT', 2, source);
    case 'NETWORK_ERROR':
      return verdict('RPC_CONNECTION_FAILED', 2, source);
    default:
      return undefined;
  }
}

function httpVerdict(status: number): Verdict | undefined {
  const source = `http:${status}`;
  if (status === 429) return verdict('RATE_LIMIT_EXCEEDED', 0, source);
  if (status === 408 || status >= 500) return verdict('NETWORK_TIMEOUT', 0, source);
  // A rejected API key or a wrong endpoint path: the RPC_URL setting needs fixing.
  if (status === 401 || status === 403 || status === 404) return verdict('RPC_CONNECTION_FAILED', 0, source);
  return undefined;
}

/** Node.js and undici error codes. */
const ERRNO_CODES: Readonly<Record<string, ErrorCode>> = {
  ECONNREFUSED: 'RPC_CONNECTION_FAILED',
  ENOTFOUND: 'RPC_CONNECTION_FAILED',
  ERR_INVALID_URL: 'RPC_CONNECTION_FAILED',
  CERT_HAS_EXPIRED: 'RPC_CONNECTION_FAILED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'RPC_CONNECTION_FAILED',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'RPC_CONNECTION_FAILED',
  SELF_SIGNED_CERT_IN_CHAIN: 'RPC_CONNECTION_FAILED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'RPC_CONNECTION_FAILED',
  ECONNRESET: 'NETWORK_TIMEOUT',
  ETIMEDOUT: 'NETWORK_TIMEOUT',
  ESOCKETTIMEDOUT: 'NETWORK_TIMEOUT',
  ECONNABORTED: 'NETWORK_TIMEOUT',
  EPIPE: 'NETWORK_TIMEOUT',
  EAI_AGAIN: 'NETWORK_TIMEOUT',
  EHOSTUNREACH: 'NETWORK_TIMEOUT',
  ENETUNREACH: 'NETWORK_TIMEOUT',
  UND_ERR_CONNECT_TIMEOUT: 'NETWORK_TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'NETWORK_TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'NETWORK_TIMEOUT',
  UND_ERR_SOCKET: 'NETWORK_TIMEOUT',
  UND_ERR_CLOSED: 'NETWORK_TIMEOUT',
};

/**
 * JSON-RPC error: the node's own message first (nodes share codes: anvil answers -32003 for a low
 * nonce, a low fee and missing funds alike), then the codes that mean one thing.
 */
function jsonRpcVerdict(node: ErrorNode & { code: number; message: string }): Verdict | undefined {
  const byMessage = matchMessage(node.message, 0, 'json-rpc-message');
  if (byMessage !== undefined) return byMessage;
  if (typeof node.data === 'string' && !/^0x[0-9a-f]*$/i.test(node.data)) {
    const byData = matchMessage(node.data, 0, 'json-rpc-data');
    if (byData !== undefined) return byData;
  }
  const source = `json-rpc:${node.code}`;
  switch (node.code) {
    case 3:
      return verdict('TRANSACTION_REVERTED_PERMANENT', 0, source);
    case 429:
      return verdict('RATE_LIMIT_EXCEEDED', 0, source);
    case -32005:
      // EIP-1474 "limit exceeded"; Besu also uses it for a gas limit above the block's.
      return /gas/i.test(node.message) ? undefined : verdict('RATE_LIMIT_EXCEEDED', 1, source);
    case -32015:
      return verdict('TRANSACTION_REVERTED_PERMANENT', 1, source);
    case -32603:
      return verdict('NETWORK_TIMEOUT', 1, source);
    default:
      return undefined;
  }
}

/** Everything the structure of one node says, without reading free text outside JSON-RPC errors. */
export function structuralVerdict(node: ErrorNode): Verdict | undefined {
  if (typeof node.code === 'string') {
    const ethers = ethersVerdict(node);
    if (ethers !== undefined && ethers.rank === 0) return ethers;
    const status = httpStatusOf(node);
    const http = status === undefined ? undefined : httpVerdict(status);
    if (http !== undefined) return http;
    if (Object.hasOwn(ERRNO_CODES, node.code)) {
      return verdict(ERRNO_CODES[node.code] as ErrorCode, 0, `errno:${node.code}`);
    }
    return ethers;
  }
  if (node.name === 'TimeoutError') return verdict('NETWORK_TIMEOUT', 0, 'name:TimeoutError');
  if (isJsonRpcError(node)) return jsonRpcVerdict(node);
  const status = httpStatusOf(node);
  return status === undefined ? undefined : httpVerdict(status);
}
