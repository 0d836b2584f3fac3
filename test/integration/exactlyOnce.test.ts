/**
 * Exactly once when deliveries overlap (docs/architecture.md, "The fence"): a delivery that outlives its
 * lease changes nothing, on PostgreSQL, anvil, the local Cloud Tasks endpoint and the functions.
 */
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import { runAttempt } from '../../shared/attempt/runAttempt.js';
import { createChainClient } from '../../shared/chain/index.js';
import { listPayoutTransactions } from '../../shared/db/index.js';
import { createLogger } from '../../shared/log.js';
import { createAttemptDeps } from '../../shared/runtime/createDeps.js';
import { createTasksClient } from '../../shared/tasks/createTasksClient.js';
import { enqueueTask } from '../../shared/tasks/enqueueTask.js';
import { countTransfers } from '../support/chainAudit.js';
import { type Harness, LOCATION, PROJECT, QUEUES, startHarness } from '../support/hostpay.js';

describe('exactly once under overlapping deliveries', function () {
  this.timeout(120_000);
  let h: Harness;
  let provider: JsonRpcProvider;
  let n = 0;
  const id = (label: string) => `${label}-${Date.now()}-${++n}`;

  before(async () => {
    h = await startHarness({
      env: { LEASE_SECONDS: '3', RECEIPT_WAIT_SECONDS: '1', RPC_TIMEOUT_SECONDS: '1' },
    });
    provider = new JsonRpcProvider(h.anvil.rpcUrl, h.anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
  });
  after(async () => {
    provider?.destroy();
    await h?.stop();
  });

  it('a delivery frozen past its lease while a redelivery pays: it changes nothing, answers 200, paid once', async () => {
    const uniqueId = id('overlap');
    const to = Wallet.createRandom().address;
    const token = h.token({ unique_id: uniqueId, payin_address: to });
    // Delivery A runs in this process; its chain client waits 30 s for an answer, as a process frozen in
    // its preflight would (the deployed client gives up after RPC_TIMEOUT_SECONDS).
    const deps = await createAttemptDeps('executePayment', { env: h.env, write: () => undefined });
    const frozen = createChainClient({
      rpcUrl: h.proxy.url,
      chainId: h.anvil.chainId,
      privateKey: h.wallet.privateKey,
      requestTimeoutMs: 30_000,
    });
    const tasks = createTasksClient({ emulatorHost: h.emulator.endpoint });
    try {
      h.proxy.delay({ method: 'eth_getTransactionCount', times: 1, ms: 6_000 });
      const logger = createLogger({ write: () => undefined });
      const a = runAttempt({ ...deps, chain: frozen }, { token, logger });
      // Once A's lease has run out, Cloud Tasks delivers the same task again (B), through the function.
      await new Promise((resolve) => setTimeout(resolve, 3_600));
      await enqueueTask(tasks, {
        project: PROJECT,
        location: LOCATION,
        queue: QUEUES.payment,
        url: h.urls.executePayment,
        body: { token },
        name: `redeliver-${uniqueId}`,
        dispatchDeadlineSeconds: 60,
      });
      const confirmed = await h.waitForPayout(uniqueId, ['confirmed'], 20_000);
      const stale = await a;
      assert.equal(stale.status, 'superseded', 'the stale delivery stops at its fence');
      const stored = await listPayoutTransactions(h.db.sql, { uniqueId });
      assert.equal(stored.length, 1, 'one transaction signed for the payout');
      assert.equal(stored[0]?.hash, confirmed.confirmedTxHash);
      assert.equal(await countTransfers(provider, h.wallet.address, to), 1);
      assert.equal(await provider.getBalance(to), 10n ** 16n, 'the recipient holds exactly 0.01 ETH');
    } finally {
      frozen.provider.destroy();
      await tasks.close();
      await deps.close();
    }
  });
});
