import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireStackLock, isAlive, StackRunningError } from '../../../local/stack/lock.js';
import { findMarkedProcesses, OWNER_MARKER_ENV, stopMarkedProcesses } from '../../../local/stack/orphans.js';

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('local stack lock', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostpay-lock-'));
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('holds our PID and is released', async () => {
    const lock = await acquireStackLock(dir);
    assert.equal((await readFile(lock.file, 'utf8')).trim(), String(process.pid));
    assert.equal(lock.takenOverFrom, null);
    await lock.release();
    await assert.rejects(readFile(lock.file), { code: 'ENOENT' });
  });

  it('refuses a second owner while the first one lives', async () => {
    const first = await acquireStackLock(dir);
    await assert.rejects(acquireStackLock(dir, process.pid + 1), (error: unknown) => {
      assert.ok(error instanceof StackRunningError);
      assert.equal(error.pid, process.pid);
      assert.match(error.message, /already running \(PID \d+/);
      return true;
    });
    await first.release();
  });

  it('takes over the lock of a dead owner and says whose it was', async () => {
    const dead = await deadPid();
    assert.equal(isAlive(dead), false);
    await writeFile(path.join(dir, 'stack.lock'), `${dead}\n`);
    const lock = await acquireStackLock(dir);
    assert.equal(lock.takenOverFrom, dead);
    assert.equal((await readFile(lock.file, 'utf8')).trim(), String(process.pid));
    await lock.release();
  });

  it('does not remove a lock another process holds now', async () => {
    const lock = await acquireStackLock(dir);
    await writeFile(lock.file, '1\n');
    await lock.release();
    assert.equal((await readFile(lock.file, 'utf8')).trim(), '1');
  });
});

describe('processes left by a killed stack', () => {
  it('finds and stops exactly the processes carrying the owner marker', async function () {
    if (process.platform !== 'linux') this.skip();
    const marker = `/tmp/test-local#${process.pid}-${Date.now()}`;
    const sleeper = (env: NodeJS.ProcessEnv) =>
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, stdio: 'ignore' });
    const marked = sleeper({ ...process.env, [OWNER_MARKER_ENV]: marker });
    const other = sleeper({ ...process.env, [OWNER_MARKER_ENV]: `${marker}-other` });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await findMarkedProcesses(marker), [marked.pid]);
      const exited = new Promise((resolve) => marked.once('exit', resolve));
      assert.deepEqual(await stopMarkedProcesses(marker), [marked.pid]);
      await exited;
      assert.equal(isAlive(other.pid ?? 0), true);
      assert.deepEqual(await findMarkedProcesses(marker), []);
    } finally {
      marked.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
