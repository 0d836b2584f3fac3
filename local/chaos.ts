/**
 * `npm run chaos` (docs/architecture.md, "Chaos"): the local stack under every fault at once, then the chain
 * and the database checked payout by payout. Prints the figures as a table; exits 1 on any violation.
 * `npm run chaos -- --payouts 1000 --send-seconds 150` (the defaults).
 */
import { parseArgs } from 'node:util';
import { formatReport } from './chaos/report.js';
import { runChaos } from './chaos/runChaos.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      payouts: { type: 'string', default: '1000' },
      'send-seconds': { type: 'string', default: '150' },
    },
  });
  const report = await runChaos({
    payouts: Number(values.payouts),
    sendSeconds: Number(values['send-seconds']),
    rpcFaultRate: 0.15,
    stallMs: 8_000,
    duplicateRate: 0.12,
    killOdds: 0.012,
    freezeMs: 35_000,
    miningStopMs: 60_000,
    settleTimeoutMs: 600_000,
    log: (line) => say(`chaos: ${line}`),
  });
  say(formatReport(report));
  return report.audit.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
