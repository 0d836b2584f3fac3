/**
 * A short chaos run (docs/architecture.md, "Chaos") inside `npm test`: the same harness as `npm run chaos`
 * with fewer payouts and shorter outages. Every payout is judged from the chain and the database.
 */
import assert from 'node:assert/strict';
import { formatReport } from '../../../local/chaos/report.js';
import { runChaos } from '../../../local/chaos/runChaos.js';

describe('chaos: the local stack under every fault at once (short run)', function () {
  this.timeout(600_000);

  it('pays every payout at most once, exactly, and accounts for each; no gap, no secret in a log', async () => {
    const report = await runChaos({
      payouts: Number(process.env.CHAOS_PAYOUTS ?? 120),
      sendSeconds: 30,
      rpcFaultRate: 0.15,
      stallMs: 8_000,
      duplicateRate: 0.12,
      killOdds: 0.03,
      freezeMs: 4_000,
      miningStopMs: 8_000,
      settleTimeoutMs: 240_000,
    });
    console.log(formatReport(report).replace(/^/gm, '      '));
    assert.deepEqual(report.audit.violations, []);
    const { faults } = report;
    assert.ok(Object.values(faults.rpc).reduce((a, b) => a + b, 0) > 0, 'RPC faults were injected');
    assert.ok(faults.duplicatesAtOnce + faults.duplicatesLater > 0, 'tasks were delivered twice');
    assert.ok(faults.restarts > 0, 'function processes were killed and restarted');
    assert.deepEqual([faults.databaseFreezes, faults.databaseRestarts, faults.reorgs], [1, 1, 1]);
  });
});
