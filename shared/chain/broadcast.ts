/** Handing signed bytes to the node (docs/architecture.md, "The flow" and "Error codes": "already known" and "nonce too low" are not failures). */
import { classifyError } from '../classifier/index.js';
import type { ChainClient } from './client.js';
import { parseSignedTransaction } from './sign.js';

/**
 * sent: the node took it · already_known: the node had these exact bytes already (in its pool) ·
 * nonce_used: the nonce is taken on chain, by this transaction or another one: look up every stored hash
 * of the payout before deciding anything.
 */
export type BroadcastOutcome = 'sent' | 'already_known' | 'nonce_used';

/**
 * One `eth_sendRawTransaction`. Rebroadcasting the same bytes is always safe: they can be mined at most
 * once. Every other refusal (insufficient funds, underpriced, rate limit, ...) is thrown for the classifier.
 */
export async function broadcastRawTransaction(
  chain: ChainClient,
  raw: string,
): Promise<{ hash: string; outcome: BroadcastOutcome }> {
  const { hash } = parseSignedTransaction(raw);
  try {
    const answered = await chain.provider.send('eth_sendRawTransaction', [raw]);
    if (typeof answered === 'string' && answered.toLowerCase() !== hash.toLowerCase()) {
      throw new Error(`node reported hash ${answered} for transaction ${hash}`);
    }
    return { hash, outcome: 'sent' };
  } catch (error) {
    const verdict = classifyError(error);
    if (!verdict.lookup) throw error;
    return { hash, outcome: verdict.source.endsWith(':already known') ? 'already_known' : 'nonce_used' };
  }
}
