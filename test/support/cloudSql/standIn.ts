/**
 * A local stand-in for Cloud SQL, enough for `@google-cloud/cloud-sql-connector` to connect for real:
 *
 * - the two Cloud SQL Admin API calls the connector makes (`connectSettings`, `generateEphemeralCert`),
 *   served over HTTP on 127.0.0.1, checking the bearer token and, for IAM authentication, the OAuth token
 *   in the certificate request; the connector is pointed here with its `sqlAdminAPIEndpoint` option;
 * - the instance's server-side proxy: TLS 1.3 on port 3307 (the connector's fixed port) of a random
 *   127.x.y.z address, with a server certificate whose CN is `project:instance` (what the connector checks)
 *   from a CA made here, requiring a client certificate issued by `generateEphemeralCert`, and piping the
 *   bytes of each accepted connection to a PostgreSQL server.
 *
 * Cloud SQL logs the IAM user in on the strength of that token; here the PostgreSQL server trusts the user
 * (pg_hba) from the proxy's address, which the caller sets up. Certificates are made with `openssl`.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CloudSqlStandInOptions {
  /** `project:region:instance`. */
  instance: string;
  /** The OAuth access token the connector's credentials hold; anything else is refused. */
  accessToken: string;
  /** Where accepted connections are piped: the PostgreSQL server. */
  postgres: { host: string; port: number };
}

export interface CloudSqlStandIn {
  /** For the connector's `sqlAdminAPIEndpoint`. */
  adminApiUrl: string;
  /** The address the instance's metadata gives (port 3307). */
  address: string;
  /** What happened, for assertions. */
  calls: { method: string; path: string; authorized: boolean }[];
  /** Subjects (CN) of the client certificates of the connections accepted. */
  clientCertificates: string[];
  /** Connections refused at the TLS handshake (no or unknown client certificate). */
  refusedHandshakes: number;
  close(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

export async function startCloudSqlStandIn(options: CloudSqlStandInOptions): Promise<CloudSqlStandIn> {
  const [project, region, instanceId] = options.instance.split(':').slice(-3) as [string, string, string];
  const dir = await mkdtemp(path.join(tmpdir(), 'hostpay-cloudsql-'));
  await openssl(
    dir,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'].concat([
      '-days',
      '2',
      '-subj',
      '/CN=Stand-in Cloud SQL CA',
    ]),
  );
  await openssl(
    dir,
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr'].concat([
      '-subj',
      `/CN=${project}:${instanceId}`,
    ]),
  );
  await openssl(
    dir,
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key'].concat([
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'server.pem',
    ]),
  );
  const caPem = await readFile(path.join(dir, 'ca.pem'), 'utf8');
  const expirationTime = new Date(Date.now() + 2 * 86_400_000).toISOString();
  let serial = 0;

  /** Signs the connector's public key as Cloud SQL does: a one-hour client certificate from the CA. */
  async function issueClientCertificate(publicKeyPem: string): Promise<string> {
    const name = `client-${++serial}`;
    await writeFile(path.join(dir, `${name}.pub`), publicKeyPem);
    await openssl(
      dir,
      ['x509', '-new', '-subj', `/CN=${name}`, '-force_pubkey', `${name}.pub`].concat([
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-days',
        '1',
        '-out',
        `${name}.pem`,
      ]),
    );
    return readFile(path.join(dir, `${name}.pem`), 'utf8');
  }

  const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const calls: CloudSqlStandIn['calls'] = [];
  const clientCertificates: string[] = [];
  const standIn = { refusedHandshakes: 0 };
  const base = `/sql/v1beta4/projects/${project}/instances/${instanceId}`;

  const admin: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const authorized = request.headers.authorization === `Bearer ${options.accessToken}`;
    calls.push({ method: request.method ?? '', path: url.pathname, authorized });
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!authorized) return reply(401, { error: { code: 401, message: 'Request had invalid credentials.' } });
    if (request.method === 'GET' && url.pathname === `${base}/connectSettings`) {
      return reply(200, {
        kind: 'sql#connectSettings',
        region,
        databaseVersion: 'POSTGRES_16',
        backendType: 'SECOND_GEN',
        ipAddresses: [{ type: 'PRIVATE', ipAddress: address }],
        serverCaCert: { cert: caPem, expirationTime },
      });
    }
    if (request.method === 'POST' && url.pathname === `${base}:generateEphemeralCert`) {
      const body = JSON.parse(await readBody(request)) as { public_key?: string; access_token?: string };
      // IAM database authentication: the certificate is issued for the caller's own OAuth token.
      if (body.access_token !== options.accessToken || !body.public_key) {
        return reply(400, { error: { code: 400, message: 'IAM authentication requires the access token.' } });
      }
      return reply(200, { ephemeralCert: { cert: await issueClientCertificate(body.public_key) } });
    }
    reply(404, { error: { code: 404, message: `no ${request.method} ${url.pathname}` } });
  });

  const proxy: TlsServer = createTlsServer(
    {
      key: await readFile(path.join(dir, 'server.key')),
      cert: await readFile(path.join(dir, 'server.pem')),
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (socket: TLSSocket) => {
      clientCertificates.push(String(socket.getPeerCertificate().subject?.CN));
      const upstream = netConnect(options.postgres.port, options.postgres.host);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  proxy.on('tlsClientError', () => {
    standIn.refusedHandshakes++;
  });

  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject).listen(0, '127.0.0.1', resolve);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject).listen(3307, address, resolve);
  });
  const port = (admin.address() as { port: number }).port;
  return {
    adminApiUrl: `http://127.0.0.1:${port}/`,
    address,
    calls,
    clientCertificates,
    get refusedHandshakes() {
      return standIn.refusedHandshakes;
    },
    async close() {
      admin.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => admin.close(resolve)),
        new Promise((resolve) => proxy.close(resolve)),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** A random token shaped like a Google OAuth access token. */
export function fakeAccessToken(): string {
  return `ya29.standin-${randomBytes(24).toString('base64url')}`;
}
