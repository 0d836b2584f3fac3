/**
 * Google ID tokens for tests: a key pair standing in for one of Google's token signing keys, the
 * certificates a verifier is given, and a stand-in for the metadata server that mints tokens for a
 * requested audience as the GCE/Cloud Run metadata server does.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdTokenIssuer {
  /** The certificates `googleIdTokenVerifier({ certs })` trusts. */
  certs(): Promise<Record<string, string>>;
  /** A signed RS256 token: Google's issuer, the audience given, expiring in ten minutes unless overridden. */
  sign(
    claims: Record<string, unknown>,
    options?: { key?: KeyObject; header?: Record<string, unknown> },
  ): string;
  /** A key Google does not hold. */
  stranger: KeyObject;
}

export function createIdTokenIssuer(): IdTokenIssuer {
  const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    certs: async () => ({ k1: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
    stranger: stranger.privateKey,
    sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const signed = `${part({ alg: 'RS256', typ: 'JWT', kid: 'k1', ...options.header })}.${part({
        iss: 'https://accounts.google.com',
        iat: now,
        exp: now + 600,
        email_verified: true,
        ...claims,
      })}`;
      const signature = createSign('RSA-SHA256')
        .update(signed)
        .sign(options.key ?? trusted.privateKey);
      return `${signed}.${signature.toString('base64url')}`;
    },
  };
}

export interface MetadataServer {
  /** host:port, for `GCE_METADATA_HOST`. */
  host: string;
  /** The audiences tokens were asked for, in order. */
  audiences: string[];
  stop(): Promise<void>;
}

/**
 * Answers `GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=…` with a token for
 * `email`, only with the `Metadata-Flavor: Google` request header, and says so in its answer's header.
 */
export async function startMetadataServer(issuer: IdTokenIssuer, email: string): Promise<MetadataServer> {
  const audiences: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    res.setHeader('Metadata-Flavor', 'Google');
    const audience = url.searchParams.get('audience');
    if (
      req.headers['metadata-flavor'] !== 'Google' ||
      url.pathname !== '/computeMetadata/v1/instance/service-accounts/default/identity' ||
      !audience
    ) {
      res.writeHead(404).end('not found');
      return;
    }
    audiences.push(audience);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(issuer.sign({ aud: audience, email }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    audiences,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
