/**
 * `npm start` as a developer runs it: the stack in a child process, paid through with `hostpay pay --watch`,
 * then stopped with SIGTERM, leaving no process and no port behind (docs/architecture.md, "Running it locally").
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, getAddress, isAddress, JsonRpcProvider, parseEther, parseUnits, Wallet } from 'ethers';
import type { StackFile } from '../../../local/stack/stackFile.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FUNCTIONS_MODULE = path.join(ROOT, 'dist/functions/index.js');
const READY = /^ready in ([0-9.]+) s/m;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every live descendant of `pid` (Linux `/proc`), whatever process group it moved to. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `probe` until it answers something other than undefined or false. */
async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Builds `dist/` when the functions module is missing or older than any source it is built from. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .reduce((latest, name) => Math.max(latest, statSync(path.join(ROOT, dir, name)).mtimeMs), 0);
  const sourceTime = Math.max(newest('functions'), newest('shared'));
  if (existsSync(FUNCTIONS_MODULE) && statSync(FUNCTIONS_MODULE).mtimeMs >= sourceTime) return;
  spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
  assert.ok(existsSync(FUNCTIONS_MODULE), `npm run build did not produce ${FUNCTIONS_MODULE}`);
}

describe('local stack started with npm start', function () {
  this.timeout(300_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let stack: ChildProcess;
  let output = '';
  let description: StackFile;
  let readyMs: number;
  let stalePid: number;

  before(async () => {
    ensureBuilt();
    dir = await mkdtemp(path.join(tmpdir(), 'hostpay-stack-'));
    env = { ...process.env, HOSTPAY_LOCAL_DIR: dir };
    // A lock left by a stack that was killed: the start takes it over.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    stalePid = dead.pid ?? 0;
    await writeFile(path.join(dir, 'stack.lock'), `${stalePid}\n`);

    const started = performance.now();
    stack = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env });
    stack.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    stack.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    await waitFor(
      () => {
        if (stack.exitCode !== null) throw new Error(`the stack exited (${stack.exitCode}):\n${output}`);
        return READY.test(output) ? true : undefined;
      },
      120_000,
      'the stack to say ready',
    );
    readyMs = performance.now() - started;
    description = JSON.parse(await readFile(path.join(dir, 'stack.json'), 'utf8')) as StackFile;
    console.log(
      `      stack ready after ${(readyMs / 1000).toFixed(1)} s (it says: ${READY.exec(output)?.[0]})`,
    );
  });

  after(async () => {
    if (stack && stack.exitCode === null && stack.signalCode === null) {
      const left = descendants(stack.pid ?? 0);
      stack.kill('SIGKILL');
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reaches ready within a minute, after taking over a stale lock', () => {
    assert.ok(readyMs < 60_000, `ready after ${readyMs} ms`);
    assert.match(
      output,
      new RegExp(`took over the lock of a stack that ended without cleanup \\(PID ${stalePid}\\)`),
    );
  });

  it('writes stack.json in exactly the documented shape', () => {
    const keys = (value: object) => Object.keys(value).sort();
    assert.deepEqual(keys(description), [
      'chainId',
      'databaseUrl',
      'functions',
      'rpcUrl',
      'signingKey',
      'tasks',
      'tokens',
      'upstream',
      'wallet',
    ]);
    assert.equal(description.chainId, 31337);
    assert.match(description.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(description.databaseUrl, /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/hostpay$/);
    assert.ok(description.signingKey.length >= 16);
    assert.deepEqual(keys(description.wallet), ['address']);
    assert.ok(isAddress(description.wallet.address));
    assert.deepEqual(keys(description.tokens), ['dai', 'usdc', 'usdt']);
    for (const [symbol, decimals] of [
      ['usdt', 6],
      ['usdc', 6],
      ['dai', 18],
    ] as const) {
      assert.deepEqual(keys(description.tokens[symbol]), ['address', 'decimals']);
      assert.equal(description.tokens[symbol].address, getAddress(description.tokens[symbol].address));
      assert.equal(description.tokens[symbol].decimals, decimals);
    }
    assert.deepEqual(keys(description.tasks), ['endpoint', 'location', 'project', 'queues']);
    assert.match(description.tasks.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(description.tasks.queues, { payment: 'payment', retry: 'retry', failure: 'failure' });
    assert.deepEqual(keys(description.functions), [
      'adminApi',
      'executePayment',
      'recordFailure',
      'recoverPayments',
      'retryPayment',
    ]);
    const ports = Object.values(description.functions).map((url) => {
      assert.match(String(url), /^http:\/\/127\.0\.0\.1:\d+$/);
      return new URL(String(url)).port;
    });
    assert.equal(new Set(ports).size, 5);
    assert.deepEqual(keys(description.upstream), ['received', 'url']);
    assert.equal(description.upstream.received, `${description.upstream.url}/received`);
  });

  it('keeps the stack file to its owner and prints no database password', async () => {
    assert.equal(statSync(path.join(dir, 'stack.json')).mode & 0o077, 0);
    const password = new URL(description.databaseUrl).password;
    assert.ok(!output.includes(password));
    assert.ok(!output.includes(description.signingKey));
  });

  it('serves /health on every function', async () => {
    for (const [name, url] of Object.entries(description.functions)) {
      const response = await fetch(`${url}/health`);
      assert.ok([200, 503].includes(response.status), `${name} answered ${response.status}`);
      const body = (await response.json()) as { components?: Record<string, unknown> };
      assert.ok(body.components, `${name} reported no components`);
    }
  });

  it('refuses a second start while it runs, and keeps running', async () => {
    const second = await run(['local/start.ts'], env, 60_000);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`already running \\(PID ${stack.pid}`));
    assert.equal(stack.exitCode, null);
    assert.ok(existsSync(path.join(dir, 'stack.json')));
  });

  const payments = [
    { currency: 'eth', amount: '0.01', expected: parseEther('0.01') },
    { currency: 'usdt', amount: '0.01', expected: parseUnits('0.01', 6) },
  ] as const;
  for (const payment of payments) {
    it(`pays ${payment.amount} ${payment.currency}: pay --watch ends confirmed, the balance rises by exactly that`, async () => {
      const provider = new JsonRpcProvider(description.rpcUrl, undefined, { cacheTimeout: -1 });
      try {
        const recipient = Wallet.createRandom().address;
        const token = new Contract(
          description.tokens.usdt.address,
          ['function balanceOf(address) view returns (uint256)'],
          provider,
        );
        const balance = async (): Promise<bigint> =>
          payment.currency === 'eth'
            ? provider.getBalance(recipient)
            : ((await token.getFunction('balanceOf')(recipient)) as bigint);
        const before = await balance();
        const uniqueId = `stack-test-${payment.currency}-${Date.now()}`;
        const paid = await run(
          [
            ...['bin/hostpay.ts', 'pay', '--currency', payment.currency, '--amount', payment.amount],
            ...['--to', recipient, '--unique-id', uniqueId, '--watch', '--timeout', '120'],
          ],
          env,
          150_000,
        );
        assert.equal(
          paid.code,
          0,
          `hostpay pay exited ${paid.code}:\n${paid.stdout}\n${paid.stderr}\n${output}`,
        );
        assert.match(paid.stdout, /^confirmed +0\.01 /m);
        const hash = /^ {2}tx +(0x[0-9a-f]{64})$/m.exec(paid.stdout)?.[1];
        assert.ok(hash, paid.stdout);
        assert.equal((await balance()) - before, payment.expected);
        assert.equal((await provider.getTransactionReceipt(hash))?.status, 1);

        const notice = await waitFor(
          async () => {
            const received = (await (await fetch(description.upstream.received)).json()) as Array<{
              path: string;
              decoded: { kind: string; fields: Record<string, unknown> } | null;
            }>;
            return received.find((entry) => entry.decoded?.fields.unique_id === uniqueId);
          },
          60_000,
          `the payment-completed notice of ${uniqueId}`,
        );
        assert.equal(notice.path, '/payment-completed');
        assert.equal(notice.decoded?.kind, 'payment-completed');
        assert.equal(notice.decoded?.fields.tx_hash, hash);
      } finally {
        provider.destroy();
      }
    });
  }

  it('records a payout from a drained wallet; hostpay failed lists, shows, refuses, force-retries (recovered at once, seen by hostpay payouts) and cancels', async () => {
    const setWalletBalance = (wei: bigint) =>
      fetch(description.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'anvil_setBalance',
          params: [description.wallet.address, `0x${wei.toString(16)}`],
        }),
      });
    const cli = (args: string[]) => run(['bin/hostpay.ts', ...args], env, 60_000);
    const pay = (uniqueId: string, to: string) =>
      cli([
        'pay',
        '--currency',
        'eth',
        '--amount',
        '0.01',
        '--to',
        to,
        '--unique-id',
        uniqueId,
        '--watch',
        '--timeout',
        '60',
      ]);
    const provider = new JsonRpcProvider(description.rpcUrl, undefined, { cacheTimeout: -1 });
    try {
      const funded = await provider.getBalance(description.wallet.address);
      const drained = `stack-drained-${Date.now()}`;
      const to = Wallet.createRandom().address;
      await setWalletBalance(0n);
      const failed = await pay(drained, to);
      assert.equal(failed.code, 1, failed.stdout);
      assert.match(failed.stdout, /INSUFFICIENT_FUNDS/);
      const listed = await waitFor(
        async () => {
          const list = await cli(['failed', 'list', '--json']);
          const body = JSON.parse(list.stdout) as { items: { unique_id: string; error_code: string }[] };
          return body.items.find((item) => item.unique_id === drained);
        },
        30_000,
        'the failure in hostpay failed list',
      );
      assert.equal(listed.error_code, 'INSUFFICIENT_FUNDS');
      const shown = await cli(['failed', 'show', drained]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /INSUFFICIENT_FUNDS/);
      const refused = await cli(['failed', 'retry', drained]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not_retryable/);
      await setWalletBalance(funded);
      const forced = await cli(['failed', 'retry', drained, '--force', '--notes', 'wallet funded']);
      assert.equal(forced.code, 0, forced.stderr);
      await waitFor(
        async () => (await provider.getBalance(to)) === parseEther('0.01'),
        60_000,
        'the forced retry to pay',
      );
      // The failure row is recovered in the transaction that confirms the payout, not by a later sweep.
      const recovered = await waitFor(
        async () => {
          const shown = await cli(['payouts', 'show', drained]);
          return /failure\n {2}recovered {2}INSUFFICIENT_FUNDS/.test(shown.stdout) ? shown.stdout : undefined;
        },
        10_000,
        'hostpay payouts show to report the failure recovered',
      );
      assert.match(recovered, /status\s+confirmed/);
      const confirmed = await cli(['payouts', 'list', '--status', 'confirmed', '--recipient', to, '--json']);
      assert.equal(
        (JSON.parse(confirmed.stdout) as { items: { uniqueId: string }[] }).items[0]?.uniqueId,
        drained,
      );

      const doomed = `stack-cancel-${Date.now()}`;
      const badAddress = '0x459b9C28A8e266d59Ff57A8206730A4a264d5A2E';
      assert.equal((await pay(doomed, badAddress)).code, 1);
      await waitFor(
        async () => (await cli(['failed', 'show', doomed])).code === 0,
        30_000,
        'the bad-address failure to be recorded',
      );
      const cancelled = await cli(['failed', 'cancel', doomed, '--notes', 'bad address from upstream']);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.match((await cli(['failed', 'show', doomed, '--json'])).stdout, /"failed_cancelled"/);
    } finally {
      provider.destroy();
    }
  });

  it('streams the functions log events readably', () => {
    assert.match(output, /^\d\d:\d\d:\d\d\.\d{3} executePayment +[A-Z]+ +payment_received +stack-test-eth-/m);
    assert.match(output, /^\d\d:\d\d:\d\d\.\d{3} tasks +TASK +payment -> executePayment /m);
  });

  it('stops on SIGTERM, leaving no process, no port, no lock and no stack file', async () => {
    const pid = stack.pid ?? 0;
    const children = descendants(pid);
    assert.ok(children.length >= 7, `expected anvil, postgres and five functions, found ${children.length}`);
    const ports = [
      description.rpcUrl,
      description.upstream.url,
      ...Object.values(description.functions).map(String),
      `tcp://${description.tasks.endpoint}`,
      description.databaseUrl,
    ].map((url) => Number(new URL(url).port));
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
    stack.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /SIGTERM: stopping\n[\s\S]*^stopped$/m);
    await waitFor(
      () => (children.some(running) ? undefined : true),
      10_000,
      'every process of the stack to end',
    );
    for (const port of ports) assert.equal(await portAnswers(port), false, `port ${port} still answers`);
    assert.equal(existsSync(path.join(dir, 'stack.lock')), false);
    assert.equal(existsSync(path.join(dir, 'stack.json')), false);
  });
});
