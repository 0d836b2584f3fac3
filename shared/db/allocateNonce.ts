/** The next nonce of a hot wallet, from the database under the wallet's row lock (docs/architecture.md, "The flow"). */
import type { SqlClient } from './client.js';
import { type Row, toNumber } from './columns.js';
import { withDatabaseErrors } from './sqlState.js';

export interface AllocateNonceParams {
  chainId: number;
  address: string;
  /** The chain's pending transaction count of the wallet (`eth_getTransactionCount(address, 'pending')`). */
  chainPendingNonce: number;
}

export interface AllocatedNonce {
  nonce: number;
  /**
   * true when the database was ahead of the chain: nonces from `chainPendingNonce` up to `nonce - 1` were
   * allocated but are not in the node's pool, and must be filled by rebroadcasting their stored bytes (or a
   * 0-value self-transfer), never renumbered (`listWalletTransactionsInRange`).
   */
  gap: boolean;
}

/**
 * Takes max(database counter, chain pending count) and advances the counter past it. The upsert holds the
 * wallet row's lock until the surrounding transaction ends, so concurrent allocations are serialised and
 * gap-free. Call it in the transaction that also stores the signed transaction (`recordSignedTransaction`):
 * then a crash cannot leave an allocated nonce without its bytes.
 */
export function allocateNonce(sql: SqlClient, params: AllocateNonceParams): Promise<AllocatedNonce> {
  const address = params.address.toLowerCase();
  return withDatabaseErrors(async () => {
    const [row] = await sql<Row[]>`
      INSERT INTO wallet_nonces AS w (chain_id, address, next_nonce)
      VALUES (${params.chainId}, ${address}, ${params.chainPendingNonce} + 1)
      ON CONFLICT (chain_id, address) DO UPDATE
        SET next_nonce = greatest(w.next_nonce, ${params.chainPendingNonce}) + 1, updated_at = clock_timestamp()
      RETURNING w.next_nonce - 1 AS nonce`;
    if (!row) throw new Error('nonce allocation returned no row');
    const nonce = toNumber(row.nonce);
    // The result exceeds the chain's count only when the stored counter was ahead of it.
    return { nonce, gap: nonce > params.chainPendingNonce };
  });
}
