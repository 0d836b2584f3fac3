import assert from 'node:assert/strict';
import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startPostgres } from '../../../local/postgres.js';

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createServer().listen(port, '127.0.0.1');
    socket.once('listening', () => socket.close(() => resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

describe('startPostgres (embedded PostgreSQL for tests and the local stack)', () => {
  it('serves on 127.0.0.1 only, without a Unix socket, and cleans up its temporary data on stop', async () => {
    const server = await startPostgres({ fsync: false });
    const sql = postgres(server.url, { max: 1 });
    let dataDir: string;
    try {
      const [settings] = await sql`
        SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets,
          current_setting('fsync') AS fsync, current_setting('data_directory') AS data`;
      assert.deepEqual([settings?.listen, settings?.sockets, settings?.fsync], ['127.0.0.1', '', 'off']);
      dataDir = String(settings?.data);
      assert.ok(await exists(dataDir));
    } finally {
      await sql.end();
      await server.stop();
    }
    assert.equal(await exists(path.dirname(dataDir)), false);
    assert.equal(await canConnect(server.port), false, 'the port is free again');
  });

  it('keeps a given data directory across restarts', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'hostpay-pg-test-'));
    // The server runs as the postgres user when the tests run as root.
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    try {
      const first = await startPostgres({ dataDir });
      const one = postgres(first.url, { max: 1 });
      await one`CREATE TABLE kept (v text)`;
      await one`INSERT INTO kept VALUES ('still here')`;
      await one.end();
      await first.stop();

      const second = await startPostgres({ dataDir });
      const two = postgres(second.url, { max: 1 });
      try {
        assert.deepEqual(await two`SELECT v FROM kept`.then((rows) => rows.map((row) => row.v)), [
          'still here',
        ]);
      } finally {
        await two.end();
        await second.stop();
      }
      assert.ok(await exists(path.join(dataDir, 'PG_VERSION')));
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('fails with the server log when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    assert.ok(address && typeof address === 'object');
    try {
      await assert.rejects(startPostgres({ port: address.port, fsync: false }), (error: Error) => {
        assert.match(error.message, new RegExp(`failed to start on 127.0.0.1:${address.port}`));
        assert.match(error.message, /could not (bind|create)/i);
        return true;
      });
    } finally {
      blocker.close();
    }
  });
});
