/** Signing offline (docs/architecture.md, "Invariants and where they are enforced": the hash is known, and stored, before anything is broadcast). */
import { getAddress, Transaction } from 'ethers';
import { HostpayError } from '../errors.js';
import type { ChainClient } from './client.js';
import type { UnsignedTransaction } from './transfer.js';

/** A signed EIP-1559 transaction: the exact bytes to broadcast and what they say. */
export interface SignedTransaction extends UnsignedTransaction {
  /** 0x-prefixed serialized bytes, what `eth_sendRawTransaction` takes. */
  raw: string;
  /** keccak256 of `raw`: the transaction hash the node will report. */
  hash: string;
  /** The signer, checksummed. */
  from: string;
}

/** Signs with the hot wallet; no RPC call. */
export async function signTransaction(
  chain: ChainClient,
  tx: UnsignedTransaction,
): Promise<SignedTransaction> {
  if (tx.chainId !== chain.chainId) {
    throw new HostpayError(
      'WEB3_INITIALIZATION_FAILED',
      `transaction for chain ${tx.chainId} given to a chain ${chain.chainId} client`,
    );
  }
  const raw = await chain.wallet.signTransaction({ ...tx, from: chain.address });
  return parseSignedTransaction(raw);
}

/** Reads stored signed bytes back (a resumed attempt rebroadcasts or replaces them). */
export function parseSignedTransaction(raw: string): SignedTransaction {
  const tx = Transaction.from(raw);
  if (
    tx.type !== 2 ||
    !tx.to ||
    !tx.hash ||
    !tx.from ||
    tx.maxFeePerGas === null ||
    tx.maxPriorityFeePerGas === null
  ) {
    throw new Error('stored transaction is not a signed EIP-1559 transaction with a recipient');
  }
  return {
    type: 2,
    chainId: Number(tx.chainId),
    nonce: tx.nonce,
    to: getAddress(tx.to),
    value: tx.value,
    data: tx.data,
    gasLimit: tx.gasLimit,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    raw: tx.serialized,
    hash: tx.hash,
    from: getAddress(tx.from),
  };
}
