/** One local stack per `.local` directory: a lock file holding the owner's PID (docs/architecture.md, "Running it locally"). */
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface StackLock {
  file: string;
  /** PID of the dead owner of a stale lock this one replaced, for cleaning up after it. */
  takenOverFrom: number | null;
  /** Removes the lock if this process still owns it. */
  release(): Promise<void>;
}

/** Thrown when a live process holds the lock. */
export class StackRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly file: string,
  ) {
    super(`a local stack is already running (PID ${pid}, lock ${file}); stop it first`);
  }
}

/** True when a process with this PID exists (EPERM: it exists but is someone else's). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `<dir>/stack.lock` atomically with our PID. A lock whose PID is dead (a stack killed without
 * cleanup) is taken over; a live one is a StackRunningError.
 */
export async function acquireStackLock(dir: string, pid = process.pid): Promise<StackLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'stack.lock');
  // The PID is written first and linked into place, so the lock never exists without its owner.
  const candidate = `${file}.${pid}`;
  await writeFile(candidate, `${pid}\n`, { mode: 0o600 });
  let takenOverFrom: number | null = null;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(candidate, file);
        return {
          file,
          takenOverFrom,
          async release() {
            if ((await readOwner(file)) === pid) await rm(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(file);
      if (owner !== null && isAlive(owner)) throw new StackRunningError(owner, file);
      // Stale: its owner is gone. Removed only if still the same stale owner, so a lock another starter
      // has just taken is left alone; `link` then lets only one of us win.
      if ((await readOwner(file)) === owner) await rm(file, { force: true });
      takenOverFrom = owner;
    }
  } finally {
    await rm(candidate, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}

async function readOwner(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}
