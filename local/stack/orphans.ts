/**
 * Processes left behind by a stack that was killed without cleanup (SIGKILL, a crash): each process the
 * stack starts inherits a marker naming its owner, so the next start can find and stop exactly those.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isAlive } from './lock.js';

/** Set in the stack's own environment before anything starts, so every child inherits it. */
export const OWNER_MARKER_ENV = 'HOSTPAY_STACK_OWNER';

const STOP_GRACE_MS = 5_000;

/** The marker value of the stack owned by `pid` in the `.local` directory `dir`. */
export function ownerMarker(dir: string, pid: number): string {
  return `${dir}#${pid}`;
}

/** PIDs of live processes whose environment carries the marker (Linux `/proc`; elsewhere none are found). */
export async function findMarkedProcesses(marker: string): Promise<number[]> {
  const needle = Buffer.from(`${OWNER_MARKER_ENV}=${marker}\0`);
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`);
      if (environ.includes(needle)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** SIGTERM to every marked process, SIGKILL to those still there after the grace period; returns their PIDs. */
export async function stopMarkedProcesses(marker: string): Promise<number[]> {
  const pids = await findMarkedProcesses(marker);
  const signal = (pid: number, name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (pids.some(isAlive) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
  return pids;
}
