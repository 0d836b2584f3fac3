/** Finds the error objects nested inside a thrown value, outermost first (docs/architecture.md, "Error codes"). */

/** Any object met while walking; fields are read defensively, never trusted. */
export type ErrorNode = Record<string, unknown>;

const MAX_NODES = 32;
const MAX_DEPTH = 8;
const MAX_JSON_CHARS = 65_536;

function isObject(value: unknown): value is ErrorNode {
  return typeof value === 'object' && value !== null;
}

/** A JSON body inside a string (ethers v5 `body`, a raw `responseBody`) becomes an object to walk. */
function parseJsonObject(text: string): ErrorNode | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || trimmed.length > MAX_JSON_CHARS) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Where libraries hang the error below this one: native `cause`, ethers `error` and `info`, JSON-RPC `data`. */
function childrenOf(node: ErrorNode): unknown[] {
  const children: unknown[] = [node.cause, node.error];
  if (isObject(node.info)) children.push(node.info.error, node.info.payload);
  if (Array.isArray(node.errors)) children.push(...node.errors.slice(0, 8));
  if (isObject(node.data)) children.push(node.data);
  for (const key of ['body', 'responseBody'] as const) {
    const text = node[key];
    if (typeof text === 'string') children.push(parseJsonObject(text));
  }
  if (isObject(node.info) && typeof node.info.responseBody === 'string') {
    children.push(parseJsonObject(node.info.responseBody));
  }
  return children;
}

/**
 * Every error-like object inside `root` in breadth-first order, so an outer error comes before
 * the causes it wraps. Bounded in count and depth; cycles are visited once. A thrown string
 * becomes `{ message }`.
 */
export function collectErrorNodes(root: unknown): ErrorNode[] {
  const nodes: ErrorNode[] = [];
  const seen = new Set<unknown>();
  const queue: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (queue.length > 0 && nodes.length < MAX_NODES) {
    const { value, depth } = queue.shift() as { value: unknown; depth: number };
    const node = typeof value === 'string' ? { message: value } : value;
    if (!isObject(node) || seen.has(value)) continue;
    seen.add(value);
    nodes.push(node);
    if (depth >= MAX_DEPTH) continue;
    for (const child of childrenOf(node)) {
      if (child !== undefined && child !== null) queue.push({ value: child, depth: depth + 1 });
    }
  }
  return nodes;
}

/**
 * The human text of one node: ethers' `shortMessage` (its `message` also holds the serialised
 * request), else `message`, plus a revert `reason` or a JSON-RPC `data` string that is not hex.
 */
export function messagesOf(node: ErrorNode): string[] {
  const texts: string[] = [];
  if (typeof node.shortMessage === 'string') texts.push(node.shortMessage);
  else if (typeof node.message === 'string') texts.push(node.message);
  if (typeof node.reason === 'string') texts.push(node.reason);
  if (typeof node.details === 'string') texts.push(node.details);
  if (typeof node.data === 'string' && !/^0x[0-9a-f]*$/i.test(node.data)) texts.push(node.data);
  return texts;
}

/** A JSON-RPC error object: an integer `code` and a string `message` (EIP-1474). */
export function isJsonRpcError(node: ErrorNode): node is ErrorNode & { code: number; message: string } {
  return Number.isInteger(node.code) && typeof node.message === 'string';
}

function statusFromText(text: string): number | undefined {
  // ethers escalates a throttled response to "599 CLIENT ESCALATED SERVER ERROR (429 Too Many Requests; ...)".
  if (/\b429\b/.test(text)) return 429;
  const match = /\b([1-5]\d\d)\b/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function statusFromNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599
    ? value
    : undefined;
}

/**
 * The HTTP status a node carries: `status` / `statusCode`, ethers' `info.responseStatus`, or its
 * `response` (a FetchResponse, whose 599 status message names the real status it escalated).
 */
export function httpStatusOf(node: ErrorNode): number | undefined {
  const texts: string[] = [];
  const numbers: Array<number | undefined> = [
    statusFromNumber(node.status),
    statusFromNumber(node.statusCode),
  ];
  if (isObject(node.info) && typeof node.info.responseStatus === 'string')
    texts.push(node.info.responseStatus);
  if (isObject(node.response)) {
    const response = node.response;
    if (typeof response.statusMessage === 'string') texts.push(response.statusMessage);
    numbers.push(statusFromNumber(response.statusCode), statusFromNumber(response.status));
  }
  const statuses = [...texts.map(statusFromText), ...numbers].filter((status) => status !== undefined);
  return statuses.includes(429) ? 429 : statuses[0];
}
