/**
 * What a `DATABASE_URL` says about TLS, read the way libpq reads it, and the postgres.js options that
 * honour it. postgres.js alone treats `sslmode=require` as "encrypt, trust any certificate" and sends an
 * unknown query parameter such as `sslrootcert` to the server as a setting; this module strips those
 * parameters and turns them into a verified `ssl` option instead.
 */
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, checkServerIdentity } from 'node:tls';
import { HostpayError } from '../errors.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** libpq's TLS parameters, which postgres.js must not forward to the server as settings. */
const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslcrl'];

export interface DatabaseUrlTls {
  /** `sslmode`, undefined when absent (or `verify-full` when only `sslrootcert=system` is given, as libpq does). */
  readonly sslmode: string | undefined;
  /** A CA file path, `system`, or undefined. */
  readonly sslrootcert: string | undefined;
  /** The server is reached through a Unix socket (`?host=/cloudsql/...`): nothing crosses a network. */
  readonly socket: boolean;
  /** The server is on this machine's loopback interface (a Cloud SQL Auth Proxy sidecar, a local server). */
  readonly loopback: boolean;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The TLS parameters of `databaseUrl` (a URL the settings parser accepted). */
export function databaseUrlTls(databaseUrl: string): DatabaseUrlTls {
  const url = new URL(databaseUrl);
  const sslrootcert = url.searchParams.get('sslrootcert') ?? undefined;
  const given = url.searchParams.get('sslmode') ?? undefined;
  const socketHost = url.searchParams.get('host');
  return {
    sslmode: given ?? (sslrootcert === 'system' ? 'verify-full' : undefined),
    sslrootcert,
    socket: url.hostname === '' && socketHost !== null && socketHost.startsWith('/'),
    loopback: url.hostname !== '' && isLoopback(url.hostname),
  };
}

function isSslMode(text: string | undefined): text is SslMode {
  return SSL_MODES.includes(text as SslMode);
}

/**
 * Why `databaseUrl` may not be used, or undefined. Any mode: an unknown `sslmode`. Production: anything
 * short of `sslmode=verify-full` (the server's certificate chain and its host name are both checked),
 * except through a Unix socket or to a loopback address, where no network lies between the two ends.
 */
export function databaseUrlProblem(databaseUrl: string, production: boolean): string | undefined {
  const tls = databaseUrlTls(databaseUrl);
  if (tls.sslmode !== undefined && !isSslMode(tls.sslmode)) {
    return `sslmode must be one of ${SSL_MODES.join(', ')}`;
  }
  if (!production || tls.socket || tls.loopback || tls.sslmode === 'verify-full') return undefined;
  const got = tls.sslmode === undefined ? 'no sslmode' : `sslmode=${tls.sslmode}`;
  return `in production the URL must say sslmode=verify-full (with sslrootcert= the server CA file, or the system CAs), so the server's certificate and host name are verified; got ${got}`;
}

/** postgres.js's `ssl` option: false, one of its own modes, or Node TLS options that verify. */
export type PostgresSsl = false | 'prefer' | 'require' | ConnectionOptions;

/**
 * `databaseUrl` without its libpq TLS parameters, and the `ssl` option that does what they say:
 * `verify-full` checks the chain (against `sslrootcert`, or the system CAs) and the host name,
 * `verify-ca` the chain only, `require` with a CA file is `verify-ca` (as in libpq), `require` alone and
 * `prefer`/`allow` encrypt without checking, `disable` (or nothing) is plain. An unreadable CA file is
 * CONFIG_INVALID.
 */
export function postgresConnection(databaseUrl: string): { url: string; ssl: PostgresSsl | undefined } {
  const tls = databaseUrlTls(databaseUrl);
  const url = new URL(databaseUrl);
  for (const name of TLS_PARAMETERS) url.searchParams.delete(name);
  const stripped = url.toString();
  if (tls.sslmode === undefined) return { url: stripped, ssl: undefined };
  if (!isSslMode(tls.sslmode)) {
    throw new HostpayError('CONFIG_INVALID', `DATABASE_URL: sslmode must be one of ${SSL_MODES.join(', ')}`);
  }
  const ca =
    tls.sslrootcert === undefined || tls.sslrootcert === 'system' ? undefined : readCa(tls.sslrootcert);
  const mode: SslMode = tls.sslmode === 'require' && ca !== undefined ? 'verify-ca' : tls.sslmode;
  switch (mode) {
    case 'disable':
      return { url: stripped, ssl: false };
    case 'allow':
    case 'prefer':
      return { url: stripped, ssl: 'prefer' };
    case 'require':
      return { url: stripped, ssl: 'require' };
    case 'verify-ca':
      return {
        url: stripped,
        ssl: { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined },
      };
    case 'verify-full': {
      // The URL's host against the certificate, explicitly: for an IP address postgres.js gives Node no
      // server name, and Node would then check the certificate against "localhost".
      const host = url.hostname.replace(/^\[|\]$/g, '');
      return {
        url: stripped,
        ssl: {
          rejectUnauthorized: true,
          ...(ca ? { ca } : {}),
          checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
        },
      };
    }
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new HostpayError(
      'CONFIG_INVALID',
      `DATABASE_URL: cannot read the sslrootcert file ${file} (${code})`,
    );
  }
}
