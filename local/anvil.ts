/**
 * A real Ethereum dev node for tests and the local stack: the anvil binary from npm on a random port
 * (docs/architecture.md, "Platform facts"), and the JSON-RPC calls that make stuck, dropped and unmined transactions happen.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface StartAnvilOptions {
  /** Seconds between blocks; omitted: a block per transaction (auto-mine). */
  blockTime?: number;
  /** Default 31337. */
  chainId?: number;
  /** Base fee of the first block in wei; anvil's default is 1 gwei. */
  baseFeePerGas?: bigint;
  /** Bound on the start; default 20 s. */
  startTimeoutMs?: number;
}

export interface RunningAnvil {
  /** `http://127.0.0.1:<port>`. */
  rpcUrl: string;
  port: number;
  chainId: number;
  /** Stops the node (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

const OUTPUT_KEPT_CHARS = 4_000;
const STOP_GRACE_MS = 3_000;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * The platform binary of `@foundry-rs/anvil`, resolved the way the package's own launcher does
 * (`@foundry-rs/anvil-<platform>-<arch>/bin/anvil`), so no shell wrapper stands between us and the node.
 */
export function resolveAnvilBinary(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (arch === undefined || !['linux', 'darwin', 'win32'].includes(process.platform)) {
    throw new Error(`anvil has no npm binary for ${process.platform}/${process.arch}`);
  }
  const launcher = createRequire(import.meta.url).resolve('@foundry-rs/anvil/package.json');
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  return createRequire(launcher).resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${binary}`);
}

/** Starts anvil on 127.0.0.1 with `--port 0` and reads the port it prints; killed on stop and at process exit. */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<RunningAnvil> {
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId), '--accounts', '2'];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.baseFeePerGas !== undefined) args.push('--base-fee', options.baseFeePerGas.toString());
  const child = spawn(resolveAnvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  child.stderr.on('data', keep);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`anvil printed no port within ${options.startTimeoutMs ?? 20_000} ms`)),
      options.startTimeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer) => {
      keep(chunk);
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`anvil exited with ${code} before listening`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}:\n${output}`));
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error));
  });
  // Keep draining the pipes: a full pipe would block the node.
  child.stdout.on('data', keep);
  let stopping: Promise<void> | undefined;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    chainId,
    stop() {
      stopping ??= stopChild(child);
      return stopping;
    },
  };
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const node of running) node.kill('SIGKILL');
  };
  // A run that ends without stop(), or is interrupted, must not leave nodes behind.
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      // Then die of the signal as if no handler had been installed, like the package's own launcher.
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

let requestId = 0;

/**
 * One JSON-RPC call straight to the node, outside ethers, so control calls never pass through the
 * counting proxy a test puts in front of the code under test.
 */
export async function anvilRpc<T = unknown>(
  rpcUrl: string,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) {
    throw Object.assign(new Error(`${method}: ${body.error.message}`), { code: body.error.code });
  }
  return body.result as T;
}

const hex = (value: bigint | number) => `0x${value.toString(16)}`;

/** Auto-mine on (a block per transaction) or off (transactions wait in the pool). */
export function setAutomine(rpcUrl: string, enabled: boolean): Promise<void> {
  return anvilRpc(rpcUrl, 'evm_setAutomine', [enabled]);
}

/** Mines `blocks` blocks now, with whatever the pool holds. */
export async function mineBlocks(rpcUrl: string, blocks = 1): Promise<void> {
  await anvilRpc(rpcUrl, 'anvil_mine', [hex(blocks)]);
}

export function setBalance(rpcUrl: string, address: string, wei: bigint): Promise<void> {
  return anvilRpc(rpcUrl, 'anvil_setBalance', [address, hex(wei)]);
}

export function setNonce(rpcUrl: string, address: string, nonce: number): Promise<void> {
  return anvilRpc(rpcUrl, 'anvil_setNonce', [address, hex(nonce)]);
}

/** Removes a pending transaction from the pool, as a node that evicted it would. */
export function dropTransaction(rpcUrl: string, hash: string): Promise<void> {
  return anvilRpc(rpcUrl, 'anvil_dropTransaction', [hash]);
}

/** Removes every pending transaction from the pool. */
export function dropAllTransactions(rpcUrl: string): Promise<void> {
  return anvilRpc(rpcUrl, 'anvil_dropAllTransactions', []);
}

/** The base fee of the next block; mine a block after it to make it the latest block's. */
export function setNextBlockBaseFee(rpcUrl: string, wei: bigint): Promise<void> {
  return anvilRpc(rpcUrl, 'anvil_setNextBlockBaseFeePerGas', [hex(wei)]);
}

/** Hashes of the pool's pending transactions (from `txpool_content`). */
export async function pendingTransactionHashes(rpcUrl: string): Promise<string[]> {
  const content = await anvilRpc<{ pending: Record<string, Record<string, { hash: string }>> }>(
    rpcUrl,
    'txpool_content',
  );
  return Object.values(content.pending).flatMap((byNonce) => Object.values(byNonce).map((tx) => tx.hash));
}

/** Freezes the chain's state; `revertSnapshot` brings it back (and mining state with it). */
export function takeSnapshot(rpcUrl: string): Promise<string> {
  return anvilRpc(rpcUrl, 'evm_snapshot');
}

export function revertSnapshot(rpcUrl: string, id: string): Promise<boolean> {
  return anvilRpc(rpcUrl, 'evm_revert', [id]);
}

/** The last `depth` blocks replaced by new ones carrying none of their transactions (a reorg). */
export async function reorg(rpcUrl: string, depth: number): Promise<void> {
  await anvilRpc(rpcUrl, 'anvil_rollback', [depth]);
  await dropAllTransactions(rpcUrl);
  await mineBlocks(rpcUrl, depth);
}
