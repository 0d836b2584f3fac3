/**
 * The judge of a chaos run: what left the hot wallet, read block by block from the chain, against what the
 * ledger, failed_transactions and the upstream's notices say of every payout.
 */
import { getAddress, Interface } from 'ethers';
import type postgres from 'postgres';
import { decimalFromDouble, toBaseUnits } from '../../shared/money.js';
import { anvilRpc } from '../anvil.js';
import type { ReceivedRequest } from '../upstream.js';

export interface PlannedPayout {
  uniqueId: string;
  currency: 'eth' | 'usdt' | 'usdc' | 'dai';
  decimals: number;
  amount: number;
  recipient: string;
  context: 'instant' | 'threshold' | 'batch';
}

export interface AuditReport {
  /** Outcome → count, per currency. */
  outcomes: Record<string, Record<string, number>>;
  /** Transfers that left the wallet for a payout's recipient. */
  paid: number;
  /** Transactions the wallet sent (mined), and the database's next nonce. */
  minedNonces: number;
  allocatedNonces: number;
  settled: boolean;
  logLinesScanned: number;
  violations: string[];
}

interface Payment {
  hash: string;
  amount: bigint;
}

const ERC20 = new Interface(['event Transfer(address indexed from, address indexed to, uint256 value)']);
const TRANSFER = ERC20.getEvent('Transfer')!.topicHash;

export async function auditRun(input: {
  rpcUrl: string;
  sql: postgres.Sql;
  wallet: string;
  tokens: Record<'usdt' | 'usdc' | 'dai', { address: string }>;
  planned: PlannedPayout[];
  settled: boolean;
  received: readonly ReceivedRequest[];
  logLines: string[];
  secrets: string[];
}): Promise<AuditReport> {
  const violations: string[] = [];
  const wallet = getAddress(input.wallet);
  const tokenSymbol = new Map(
    Object.entries(input.tokens).map(([symbol, t]) => [getAddress(t.address), symbol]),
  );
  // recipient → currency → payments, from every successful transaction the wallet sent.
  const payments = new Map<string, Map<string, Payment[]>>();
  const nonces = new Map<number, string>();
  const latest = Number(await anvilRpc<string>(input.rpcUrl, 'eth_blockNumber'));
  for (let b = 0; b <= latest; b++) {
    const tag = `0x${b.toString(16)}`;
    const [block, receipts] = await Promise.all([
      anvilRpc<{
        transactions: { hash: string; from: string; to: string | null; value: string; nonce: string }[];
      }>(input.rpcUrl, 'eth_getBlockByNumber', [tag, true]),
      anvilRpc<
        {
          transactionHash: string;
          status: string;
          logs: { address: string; topics: string[]; data: string }[];
        }[]
      >(input.rpcUrl, 'eth_getBlockReceipts', [tag]),
    ]);
    for (const tx of block.transactions) {
      if (getAddress(tx.from) !== wallet) continue;
      const nonce = Number(tx.nonce);
      if (nonces.has(nonce)) violations.push(`nonce ${nonce} mined twice (${nonces.get(nonce)}, ${tx.hash})`);
      nonces.set(nonce, tx.hash);
      const receipt = receipts.find((r) => r.transactionHash === tx.hash);
      if (receipt?.status !== '0x1') continue;
      const add = (to: string, currency: string, amount: bigint) => {
        const byCurrency = payments.get(getAddress(to)) ?? new Map<string, Payment[]>();
        byCurrency.set(currency, [
          ...(byCurrency.get(currency) ?? []),
          { hash: tx.hash.toLowerCase(), amount },
        ]);
        payments.set(getAddress(to), byCurrency);
      };
      if (tx.to !== null && getAddress(tx.to) !== wallet && BigInt(tx.value) > 0n)
        add(tx.to, 'eth', BigInt(tx.value));
      for (const log of receipt.logs) {
        const symbol = tokenSymbol.get(getAddress(log.address));
        if (symbol === undefined || log.topics[0] !== TRANSFER) continue;
        const event = ERC20.parseLog(log);
        if (event && getAddress(event.args[0] as string) === wallet)
          add(event.args[1] as string, symbol, event.args[2] as bigint);
      }
    }
  }
  const minedNonces = nonces.size;
  for (let n = 0; n < minedNonces; n++) if (!nonces.has(n)) violations.push(`nonce ${n} never mined: a gap`);
  const pool = await anvilRpc<{ pending: Record<string, unknown> }>(input.rpcUrl, 'txpool_content');
  const stuck = Object.keys(pool.pending).filter((from) => getAddress(from) === wallet).length;
  if (stuck > 0) violations.push('transactions of the wallet are still in the pool');

  const [nonceRow] = await input.sql<{ next_nonce: string }[]>`
    SELECT next_nonce::text FROM wallet_nonces WHERE address = ${wallet.toLowerCase()}`;
  const allocatedNonces = Number(nonceRow?.next_nonce ?? 0);
  if (allocatedNonces !== minedNonces) {
    violations.push(
      `the database handed out ${allocatedNonces} nonces, the chain mined ${minedNonces}: a gap`,
    );
  }

  const ids = input.planned.map((p) => p.uniqueId);
  const rows = await input.sql<
    {
      unique_id: string;
      status: string;
      confirmed_tx_hash: string | null;
      amount_base_units: string;
      failure: string | null;
    }[]
  >`
    SELECT p.unique_id, p.status, p.confirmed_tx_hash, p.amount_base_units::text, f.status AS failure
    FROM payouts p LEFT JOIN failed_transactions f ON f.unique_id = p.unique_id
    WHERE p.unique_id IN ${input.sql(ids)}`;
  const ledger = new Map(rows.map((row) => [row.unique_id, row]));
  const completed = new Set(
    input.received
      .filter((r) => r.decoded?.kind === 'payment-completed')
      .map((r) => r.decoded?.fields.unique_id),
  );
  const outcomes: Record<string, Record<string, number>> = {};
  let paid = 0;
  for (const payout of input.planned) {
    const row = ledger.get(payout.uniqueId);
    const got = payments.get(getAddress(payout.recipient))?.get(payout.currency) ?? [];
    paid += got.length;
    const outcome =
      row === undefined
        ? 'lost'
        : row.status === 'failed'
          ? `failed (${row.failure ?? 'unrecorded'})`
          : row.status;
    outcomes[payout.currency] ??= {};
    outcomes[payout.currency]![outcome] = (outcomes[payout.currency]![outcome] ?? 0) + 1;
    const id = payout.uniqueId;
    const expected = toBaseUnits(decimalFromDouble(payout.amount), payout.decimals);
    if (got.length > 1) violations.push(`${id}: paid ${got.length} times`);
    for (const p of got)
      if (p.amount !== expected) violations.push(`${id}: paid ${p.amount}, expected ${expected}`);
    if (row === undefined) {
      violations.push(`${id}: no ledger row (lost)`);
      continue;
    }
    if (BigInt(row.amount_base_units) !== expected)
      violations.push(`${id}: ledger amount ${row.amount_base_units}`);
    if (row.status === 'confirmed') {
      if (got.length !== 1 || got[0]!.hash !== row.confirmed_tx_hash) {
        violations.push(
          `${id}: confirmed in ${row.confirmed_tx_hash} but the chain shows ${got.length} payments`,
        );
      }
      if (!completed.has(id)) violations.push(`${id}: confirmed, but the upstream was not told`);
    } else if (got.length > 0) {
      violations.push(`${id}: ${row.status} in the ledger, but paid in ${got[0]!.hash}`);
    }
    if (row.status === 'failed' && row.failure === null)
      violations.push(`${id}: failed with no failure record`);
    if (!['confirmed', 'cancelled', 'failed'].includes(row.status))
      violations.push(`${id}: left ${row.status}`);
  }
  for (const line of input.logLines) {
    for (const secret of input.secrets) {
      if (secret.length >= 8 && line.includes(secret)) {
        violations.push(`a secret in a log line: ${line.slice(0, 120).replaceAll(secret, '<secret>')}`);
      }
    }
  }
  return {
    outcomes,
    paid,
    minedNonces,
    allocatedNonces,
    settled: input.settled,
    logLinesScanned: input.logLines.length,
    violations: input.settled ? violations : ['the run did not settle in time', ...violations],
  };
}
