/**
 * URL mode over TLS against embedded PostgreSQL serving a certificate from a CA made here: `verify-full`
 * checks the chain against `sslrootcert` and the host name, `verify-ca` the chain only; `require` does
 * neither (why production refuses it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { type RunningPostgres, startPostgres } from '../../../local/postgres.js';
import { createSqlClient } from '../../../shared/db/createSqlClient.js';

const run = promisify(execFile);

describe('verified TLS in URL mode (embedded PostgreSQL with a server certificate)', function () {
  this.timeout(90_000);
  let server: RunningPostgres;
  let dir: string;
  const urlWith = (query: string) => `${server.url}?${query}`;

  /** A CA in `dir`/<name>.pem (and .key). */
  async function ca(name: string): Promise<void> {
    await run(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`].concat([
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
      ]),
      { cwd: dir },
    );
  }

  /** A server certificate from `caName` for `san`, installed in the server and loaded. */
  async function serve(caName: string, san: string): Promise<void> {
    await run(
      'openssl',
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr'].concat([
        '-subj',
        '/CN=hostpay-db',
      ]),
      { cwd: dir },
    );
    await writeFile(path.join(dir, 'ext.cnf'), `subjectAltName=${san}\n`);
    await run(
      'openssl',
      ['x509', '-req', '-in', 'server.csr', '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`].concat([
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        'server.pem',
        '-extfile',
        'ext.cnf',
      ]),
      { cwd: dir },
    );
    const admin = postgres(server.url, { max: 1, onnotice: () => undefined });
    try {
      const [{ data_directory: dataDir }] = (await admin`SHOW data_directory`) as unknown as [
        { data_directory: string },
      ];
      const owner = await stat(dataDir);
      for (const file of ['server.pem', 'server.key']) {
        const target = path.join(dataDir, `test-${file}`);
        await writeFile(target, await readFile(path.join(dir, file)), { mode: 0o600 });
        await chown(target, owner.uid, owner.gid);
      }
      await admin.unsafe(`ALTER SYSTEM SET ssl_cert_file = '${path.join(dataDir, 'test-server.pem')}'`);
      await admin.unsafe(`ALTER SYSTEM SET ssl_key_file = '${path.join(dataDir, 'test-server.key')}'`);
      await admin.unsafe('ALTER SYSTEM SET ssl = on');
      await admin`SELECT pg_reload_conf()`;
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await admin.end();
    }
  }

  async function encrypted(url: string): Promise<boolean> {
    const sql = createSqlClient(url, { max: 1, connectTimeoutSeconds: 5 });
    try {
      const [row] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      return row?.ssl === true;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostpay-tls-'));
    server = await startPostgres({ fsync: false });
    await ca('trusted');
    await ca('stranger');
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('verify-full with sslrootcert: connects over TLS to a server whose certificate names its address', async () => {
    await serve('trusted', 'IP:127.0.0.1');
    assert.equal(await encrypted(urlWith(`sslmode=verify-full&sslrootcert=${dir}/trusted.pem`)), true);
  });

  it('verify-full refuses a certificate from another CA; require accepts it (no verification)', async () => {
    await serve('trusted', 'IP:127.0.0.1');
    await assert.rejects(
      encrypted(urlWith(`sslmode=verify-full&sslrootcert=${dir}/stranger.pem`)),
      /self.signed|unable to (get|verify)/i,
    );
    await assert.rejects(encrypted(urlWith('sslmode=verify-full')), /self.signed|unable to (get|verify)/i);
    assert.equal(await encrypted(urlWith('sslmode=require')), true);
  });

  it('verify-full refuses a certificate for another host; verify-ca accepts it', async () => {
    await serve('trusted', 'DNS:db.example.com');
    await assert.rejects(
      encrypted(urlWith(`sslmode=verify-full&sslrootcert=${dir}/trusted.pem`)),
      /IP: 127\.0\.0\.1 is not in the cert's list/,
    );
    assert.equal(await encrypted(urlWith(`sslmode=verify-ca&sslrootcert=${dir}/trusted.pem`)), true);
  });

  it('an unreadable sslrootcert is a configuration error naming the file, not a plain connection', () => {
    assert.throws(
      () => createSqlClient(urlWith(`sslmode=verify-full&sslrootcert=${dir}/missing.pem`)),
      /DATABASE_URL: cannot read the sslrootcert file .*missing\.pem \(ENOENT\)/,
    );
  });
});
