/** Chain clients and on-chain facts for chain tests (see `anvil.ts` for the node). */
import { getAddress, parseUnits, Wallet } from 'ethers';
import { anvilRpc, pendingTransactionHashes } from '../../local/anvil.js';
import type { Asset } from '../../shared/assets.js';
import { readEthBalance, readTokenBalance } from '../../shared/chain/balances.js';
import { broadcastRawTransaction } from '../../shared/chain/broadcast.js';
import { type ChainClient, createChainClient } from '../../shared/chain/client.js';
import type { FeePolicy } from '../../shared/chain/fees.js';
import { preflightTransfer } from '../../shared/chain/preflight.js';
import { type ReceiptWait, waitForReceipt } from '../../shared/chain/receipt.js';
import { type SignedTransaction, signTransaction } from '../../shared/chain/sign.js';
import { buildTransferTransaction } from '../../shared/chain/transfer.js';
import type { TestChain } from './anvil.js';

/** The defaults of MAX_FEE_PER_GAS_GWEI, MAX_PRIORITY_FEE_PER_GAS_GWEI and FEE_BUMP_PERCENT. */
export const DEFAULT_POLICY: FeePolicy = {
  maxFeePerGas: parseUnits('300', 'gwei'),
  maxPriorityFeePerGas: parseUnits('2', 'gwei'),
  feeBumpPercent: 15,
};

/** A client for `privateKey` on the chain, or on `rpcUrl` (a counting proxy in front of it). */
export function clientFor(chain: TestChain, privateKey: string, rpcUrl = chain.rpcUrl): ChainClient {
  return createChainClient({ rpcUrl, chainId: chain.chainId, privateKey });
}

/** A fresh address that has never held anything. */
export function freshAddress(): string {
  return Wallet.createRandom().address;
}

/** Balance of `owner` in `symbol` (`eth` in wei), read straight from the node. */
export async function balanceOf(
  chain: TestChain,
  symbol: 'eth' | 'usdt' | 'usdc' | 'dai',
  owner: string,
): Promise<bigint> {
  const reader = createChainClient({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    privateKey: Wallet.createRandom().privateKey,
  });
  try {
    if (symbol === 'eth') return await readEthBalance(reader, owner);
    return await readTokenBalance(reader, { token: chain.tokens[symbol], owner });
  } finally {
    reader.provider.destroy();
  }
}

/** The mined transaction count of `address`. */
export async function minedNonce(chain: TestChain, address: string): Promise<number> {
  return Number(
    await anvilRpc<string>(chain.rpcUrl, 'eth_getTransactionCount', [getAddress(address), 'latest']),
  );
}

/** Pool contents: nothing was broadcast when this stays empty. */
export function poolHashes(chain: TestChain): Promise<string[]> {
  return pendingTransactionHashes(chain.rpcUrl);
}

/** A mined transaction as the node reports it. */
export async function minedTransaction(
  chain: TestChain,
  hash: string,
): Promise<{ to: string; value: bigint; input: string; nonce: number; blockNumber: number } | null> {
  const tx = await anvilRpc<Record<string, string> | null>(chain.rpcUrl, 'eth_getTransactionByHash', [hash]);
  if (!tx || tx.blockNumber === null || tx.blockNumber === undefined) return null;
  return {
    to: getAddress(tx.to as string),
    value: BigInt(tx.value as string),
    input: tx.input as string,
    nonce: Number(tx.nonce),
    blockNumber: Number(tx.blockNumber),
  };
}

/**
 * The chain steps of a payout without the database: preflight, build, sign, broadcast, wait. The nonce
 * is the chain's pending count.
 */
export async function transferOnChain(
  client: ChainClient,
  params: { asset: Asset; to: string; amount: bigint; policy?: FeePolicy; timeoutMs?: number },
): Promise<{ signed: SignedTransaction; wait: ReceiptWait }> {
  const pre = await preflightTransfer(client, {
    asset: params.asset,
    to: params.to,
    amount: params.amount,
    policy: params.policy ?? DEFAULT_POLICY,
    gasMarginPercent: 20,
  });
  const unsigned = buildTransferTransaction(client, params.asset, {
    to: pre.to,
    amount: params.amount,
    nonce: pre.chainPendingNonce,
    fees: pre.fees,
    gasLimit: pre.gasLimit,
  });
  const signed = await signTransaction(client, unsigned);
  await broadcastRawTransaction(client, signed.raw);
  const wait = await waitForReceipt(client, signed.hash, { timeoutMs: params.timeoutMs ?? 10_000 });
  return { signed, wait };
}
