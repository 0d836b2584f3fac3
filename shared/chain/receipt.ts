/** Receipts: whether a transaction is mined, and at what depth (docs/architecture.md, "The flow": depth and block-hash re-check). */
import { getAddress } from 'ethers';
import type { ChainClient } from './client.js';
import { quantity, smallQuantity } from './rpc.js';

export interface ReceiptLog {
  address: string;
  topics: string[];
  data: string;
}

export interface MinedReceipt {
  hash: string;
  blockNumber: number;
  blockHash: string;
  /** 1 success, 0 reverted. */
  status: 0 | 1;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  from: string;
  to: string | null;
  logs: ReceiptLog[];
}

/** One `eth_getTransactionReceipt`; null while not mined (or unknown). */
export async function getReceipt(chain: ChainClient, hash: string): Promise<MinedReceipt | null> {
  const raw = (await chain.provider.send('eth_getTransactionReceipt', [hash])) as Record<
    string,
    unknown
  > | null;
  // Some nodes answer a pending transaction's receipt with a null block.
  if (raw === null || raw.blockHash === null || raw.blockNumber === null) return null;
  return parseReceipt(raw);
}

function parseReceipt(raw: Record<string, unknown>): MinedReceipt {
  const status = smallQuantity(raw.status, 'receipt status');
  if (status !== 0 && status !== 1) throw new Error(`node answered receipt status ${status}`);
  return {
    hash: String(raw.transactionHash).toLowerCase(),
    blockNumber: smallQuantity(raw.blockNumber, 'block number'),
    blockHash: String(raw.blockHash).toLowerCase(),
    status,
    gasUsed: quantity(raw.gasUsed, 'gasUsed'),
    effectiveGasPrice:
      raw.effectiveGasPrice === undefined ? 0n : quantity(raw.effectiveGasPrice, 'effectiveGasPrice'),
    from: getAddress(String(raw.from)),
    to: typeof raw.to === 'string' ? getAddress(raw.to) : null,
    logs: (Array.isArray(raw.logs) ? raw.logs : []).map(
      (log: { address: string; topics: string[]; data: string }) => ({
        address: getAddress(log.address),
        topics: log.topics.map((topic) => topic.toLowerCase()),
        data: log.data,
      }),
    ),
  };
}

/**
 * The receipt of whichever of `hashes` is mined (they share a nonce, so at most one is), or null. The
 * look-ups go out as one batch.
 */
export async function findMinedTransaction(
  chain: ChainClient,
  hashes: readonly string[],
): Promise<MinedReceipt | null> {
  const receipts = await Promise.all(hashes.map((hash) => getReceipt(chain, hash)));
  return receipts.find((receipt) => receipt !== null) ?? null;
}

/** The latest block number, one `eth_blockNumber`. */
export async function readBlockNumber(chain: ChainClient): Promise<number> {
  return smallQuantity(await chain.provider.send('eth_blockNumber', []), 'block number');
}

/**
 * confirmed: the receipt is at `confirmations` depth and, looked up again, still in the same block ·
 * shallow: mined, not yet deep enough · reorged: no longer in that block (gone, or in another block:
 * `receipt` then holds the new one, or null).
 */
export type ConfirmationCheck =
  | { state: 'confirmed'; receipt: MinedReceipt }
  | { state: 'shallow'; receipt: MinedReceipt; depth: number }
  | { state: 'reorged'; receipt: MinedReceipt | null };

/**
 * Checks a known receipt at depth. With `confirmations` 1 the receipt just read is the proof; deeper, it
 * costs one `eth_blockNumber` and, once deep enough, one more receipt look-up to re-check the block hash.
 */
export async function checkConfirmation(
  chain: ChainClient,
  receipt: MinedReceipt,
  params: { confirmations: number; headBlockNumber?: number },
): Promise<ConfirmationCheck> {
  if (params.confirmations <= 1) return { state: 'confirmed', receipt };
  const head = params.headBlockNumber ?? (await readBlockNumber(chain));
  const depth = head - receipt.blockNumber + 1;
  if (depth < params.confirmations) return { state: 'shallow', receipt, depth };
  const again = await getReceipt(chain, receipt.hash);
  if (again === null || again.blockHash !== receipt.blockHash) return { state: 'reorged', receipt: again };
  return { state: 'confirmed', receipt: again };
}

export interface WaitForReceiptOptions {
  /** The bound on the whole wait (RECEIPT_WAIT_SECONDS); the last look-up is at the bound. */
  timeoutMs: number;
  /** Depth at which a receipt counts (CONFIRMATIONS); default 1. */
  confirmations?: number;
  /** Time between look-ups; default 1 s. */
  pollIntervalMs?: number;
  /** Called before each pause between look-ups (the payout engine renews its lease); a throw ends the wait. */
  beforePause?: () => Promise<void>;
}

/**
 * confirmed: at depth, block hash re-checked · mined: seen, not yet at depth when the bound ran out ·
 * pending: not mined within the bound (the caller schedules a check; it is not an error).
 */
export type ReceiptWait =
  | { state: 'confirmed'; receipt: MinedReceipt }
  | { state: 'mined'; receipt: MinedReceipt }
  | { state: 'pending' };

/**
 * Waits for any of `hashes` (a transaction and its replacements) to be mined and confirmed, looking up
 * at most once per poll interval: one receipt batch while unmined, one `eth_blockNumber` while shallow.
 * A receipt that leaves its block in a reorg sends the wait back to looking for a receipt.
 */
export async function waitForReceipt(
  chain: ChainClient,
  hashes: string | readonly string[],
  options: WaitForReceiptOptions,
): Promise<ReceiptWait> {
  const list = typeof hashes === 'string' ? [hashes] : hashes;
  const confirmations = options.confirmations ?? 1;
  const interval = options.pollIntervalMs ?? 1_000;
  const deadline = Date.now() + options.timeoutMs;
  let receipt: MinedReceipt | null = null;
  for (;;) {
    if (receipt === null) {
      receipt = await findMinedTransaction(chain, list);
    }
    if (receipt !== null) {
      const check = await checkConfirmation(chain, receipt, { confirmations });
      if (check.state === 'confirmed') return check;
      receipt = check.receipt;
    }
    const left = deadline - Date.now();
    if (left <= 0) return receipt === null ? { state: 'pending' } : { state: 'mined', receipt };
    await options.beforePause?.();
    await sleep(Math.min(interval, left));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the node says of a stored transaction now, for an operator's view. */
export type ChainState =
  | { state: 'mined'; blockNumber: number; success: boolean }
  | { state: 'pending' }
  | { state: 'unknown' };

/** mined (with its block and status), pending (in the node's pool) or unknown to the node; two calls at most. */
export async function readTransactionState(chain: ChainClient, hash: string): Promise<ChainState> {
  const receipt = await getReceipt(chain, hash);
  if (receipt) return { state: 'mined', blockNumber: receipt.blockNumber, success: receipt.status === 1 };
  const pooled = await chain.provider.send('eth_getTransactionByHash', [hash]);
  return pooled === null ? { state: 'unknown' } : { state: 'pending' };
}
