/**
 * `hostpay pay --watch`: follows one payout through the ledger (`payouts`, `payout_transactions`,
 * `failed_transactions`; docs/architecture.md, "The flow" and "Database") to its end, with a live progress line.
 */
import {
  type FailedTransaction,
  getFailedTransaction,
  getPayout,
  listPayoutTransactions,
  type Payout,
  type PayoutTransaction,
  type SqlClient,
} from '../../shared/db/index.js';
import { type CliIo, EXIT } from '../command.js';

/** What the database says about one payout at one moment. */
export interface PayoutSnapshot {
  payout: Payout | null;
  transactions: PayoutTransaction[];
  failure: FailedTransaction | null;
}

export type Outcome = 'confirmed' | 'failed' | 'cancelled';

export interface WatchOptions {
  timeoutMs: number;
  /** Default 250 ms. */
  pollMs?: number;
  /** How long a failed payout waits for its failed_transactions row to report it; default 5 s. */
  failureRecordWaitMs?: number;
}

/** The end the payout has reached, or null while it is still moving. */
export function outcomeOf(snapshot: PayoutSnapshot): Outcome | null {
  const status = snapshot.payout?.status;
  if (status === 'confirmed') return 'confirmed';
  if (status === 'cancelled') return 'cancelled';
  if (status === 'failed') return 'failed';
  // A request with bad contents may be recorded as failed without a ledger row.
  if (snapshot.payout === null && snapshot.failure !== null) return 'failed';
  return null;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function shortHash(hash: string): string {
  return `${hash.slice(0, 10)}...${hash.slice(-4)}`;
}

/** The progress line, without the elapsed time (so a change of state is a change of this text). */
export function progressState(uniqueId: string, snapshot: PayoutSnapshot): string {
  const { payout, transactions } = snapshot;
  if (payout === null) return `${uniqueId}  queued, waiting for executePayment`;
  const parts = [`${uniqueId}  ${payout.status}`, `attempt ${payout.attemptCount}`];
  const latest = transactions.at(-1);
  if (latest) {
    parts.push(`tx ${shortHash(latest.hash)} ${latest.status} (nonce ${latest.nonce})`);
    if (transactions.length > 1) parts.push(`${transactions.length} transactions`);
  }
  if (payout.lastErrorCode && payout.status !== 'confirmed') parts.push(`last error ${payout.lastErrorCode}`);
  return parts.join(' · ');
}

/** The lines printed at the end. */
export function finalReport(outcome: Outcome, snapshot: PayoutSnapshot, elapsedMs: number): string[] {
  const { payout, transactions, failure } = snapshot;
  const attempts = payout?.attemptCount ?? failure?.attemptCount ?? 0;
  const common = [
    `  attempts    ${attempts}, ${transactions.length} transaction${transactions.length === 1 ? '' : 's'} signed`,
    `  took        ${seconds(elapsedMs)}`,
  ];
  if (outcome === 'confirmed' && payout) {
    return [
      `confirmed   ${payout.amountDecimal} ${payout.currency} to ${payout.recipient}`,
      `  tx          ${payout.confirmedTxHash}`,
      `  block       ${payout.confirmedBlockNumber}${payout.confirmedGasUsed === null ? '' : `, gas used ${payout.confirmedGasUsed}`}`,
      ...common,
    ];
  }
  const code = failure?.errorCode ?? payout?.lastErrorCode ?? 'UNKNOWN_ERROR';
  const message = failure?.errorMessage ?? payout?.lastErrorMessage ?? '';
  return [
    `${outcome.padEnd(11)} ${code}${message ? `: ${message}` : ''}`,
    ...transactions.map((tx) => `  tx          ${tx.hash} ${tx.status} (nonce ${tx.nonce}, ${tx.kind})`),
    ...common,
    failure
      ? `  recorded    in failed_transactions as ${failure.status}`
      : '  recorded    not (yet) in failed_transactions',
  ];
}

export async function readSnapshot(sql: SqlClient, uniqueId: string): Promise<PayoutSnapshot> {
  const [payout, transactions, failure] = await Promise.all([
    getPayout(sql, { uniqueId }),
    listPayoutTransactions(sql, { uniqueId }),
    getFailedTransaction(sql, { uniqueId }),
  ]);
  return { payout, transactions, failure };
}

/** Polls until the payout ends or the bound passes; returns the exit code (0 confirmed, 1 failed, 3 timeout). */
export async function watchPayout(
  sql: SqlClient,
  uniqueId: string,
  io: CliIo,
  options: WatchOptions,
): Promise<number> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 250;
  let shown = '';
  const show = (state: string) => {
    const elapsed = Date.now() - started;
    if (io.isTTY) io.out(`\r\u001b[2K${state} · ${seconds(elapsed)}`);
    else if (state !== shown) io.out(`${state}\n`);
    shown = state;
  };
  const endLine = () => {
    if (io.isTTY && shown !== '') io.out('\n');
  };
  for (;;) {
    let snapshot = await readSnapshot(sql, uniqueId);
    const outcome = outcomeOf(snapshot);
    show(progressState(uniqueId, snapshot));
    if (outcome !== null) {
      if (outcome === 'failed' && snapshot.failure === null) {
        snapshot = await waitForFailureRecord(sql, uniqueId, snapshot, options.failureRecordWaitMs ?? 5_000);
      }
      endLine();
      io.out(`${finalReport(outcome, snapshot, Date.now() - started).join('\n')}\n`);
      return outcome === 'confirmed' ? EXIT.ok : EXIT.failed;
    }
    if (Date.now() - started >= options.timeoutMs) {
      endLine();
      io.err(`no outcome within ${seconds(options.timeoutMs)}; the payout may still move (${shown})\n`);
      return EXIT.timeout;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** recordFailure writes its row after the attempt marks the payout failed; give it a moment. */
async function waitForFailureRecord(
  sql: SqlClient,
  uniqueId: string,
  snapshot: PayoutSnapshot,
  waitMs: number,
): Promise<PayoutSnapshot> {
  const deadline = Date.now() + waitMs;
  let latest = snapshot;
  while (latest.failure === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    latest = await readSnapshot(sql, uniqueId);
  }
  return latest;
}
