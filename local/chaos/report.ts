/** A chaos run's figures as the table `npm run chaos` prints and the closing notes quote. */
import type { ChaosReport } from './runChaos.js';

export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [];
  const { faults, audit } = report;
  const share = (n: number, of: number) => `${n} (${of === 0 ? 0 : Math.round((n * 1000) / of) / 10} %)`;
  const faulted = Object.values(faults.rpc).reduce((a, b) => a + b, 0);
  rows.push(['RPC requests (HTTP) through the proxy', String(faults.rpcRequests)]);
  rows.push(['RPC requests faulted', share(faulted, faults.rpcRequests)]);
  for (const [kind, n] of Object.entries(faults.rpc)) rows.push([`  of which ${kind}`, String(n)]);
  rows.push(['payment and retry task deliveries', String(faults.attemptDeliveries)]);
  rows.push([
    'tasks delivered twice',
    share(faults.duplicatesAtOnce + faults.duplicatesLater, faults.attemptDeliveries),
  ]);
  rows.push(['  of which at the same moment (enqueued twice)', String(faults.duplicatesAtOnce)]);
  rows.push(['  of which again after the run', String(faults.duplicatesLater)]);
  for (const [point, n] of Object.entries(faults.kills)) rows.push([`SIGKILL after ${point}`, String(n)]);
  rows.push(['function restarts', String(faults.restarts)]);
  rows.push(['database connections terminated', String(faults.connectionsTerminated)]);
  rows.push(['database freezes (SIGSTOP)', String(faults.databaseFreezes)]);
  rows.push(['database restarts', String(faults.databaseRestarts)]);
  rows.push(['mining stops', String(faults.miningStops)]);
  rows.push(['2-block reorgs', String(faults.reorgs)]);
  rows.push(['operator forced retries', String(faults.operatorForcedRetries)]);
  rows.push(['operator cancels', String(faults.operatorCancels)]);
  rows.push(['scheduler runs', String(faults.schedulerRuns)]);
  for (const [currency, outcomes] of Object.entries(audit.outcomes)) {
    for (const [outcome, n] of Object.entries(outcomes)) rows.push([`${currency}: ${outcome}`, String(n)]);
  }
  rows.push(['payments on chain', String(audit.paid)]);
  rows.push(['nonces mined / handed out', `${audit.minedNonces} / ${audit.allocatedNonces}`]);
  rows.push(['log lines scanned for secrets', String(audit.logLinesScanned)]);
  rows.push(['violations', String(audit.violations.length)]);
  rows.push(['duration', `${report.durationSeconds} s`]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `| ${'figure'.padEnd(width)} | value |`,
    `| ${'-'.repeat(width)} | ----- |`,
    ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value} |`),
    ...audit.violations.map((v) => `VIOLATION ${v}`),
  ].join('\n');
}
