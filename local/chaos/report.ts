/** A chaos run's figures as the table `npm run chaos` prints and the closing notes quote. */
import type { ChaosReport } from './runChaos.js';

export function formatReport(report: ChaosReport): string {
  const rows: [string, string][] = [];
  const { faults, audit } = report;
  for (const [kind, n] of Object.entries(faults.rpc)) rows.push([`RPC requests faulted: ${kind}`, String(n)]);
  rows.push(['tasks delivered twice at the same moment', String(faults.duplicatesAtOnce)]);
  rows.push(['tasks delivered again after the run', String(faults.duplicatesLater)]);
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
