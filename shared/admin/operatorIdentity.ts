/**
 * Who is calling the admin API (docs/architecture.md, "Operators"): IAM lets the call through, and every
 * change records who made it — taken only from what can be verified, never from a header anyone can set.
 */
import { type Certificates, OAuth2Client } from 'google-auth-library';
import type { Config } from '../config/index.js';
import { RequestError } from '../http/requestError.js';

type Headers = Record<string, string | string[] | undefined>;

/** Verifies a Google-signed ID token for the admin API and answers the verified e-mail; throws otherwise. */
export type VerifyIdToken = (idToken: string, audience: string) => Promise<string>;

const ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

/**
 * The production verifier: `google-auth-library` checks the token's RS256 signature against Google's
 * public keys (`certs`, fetched and cached by the library by default), its expiry, issuer and audience;
 * the e-mail must be verified.
 */
export function googleIdTokenVerifier(options: { certs?: () => Promise<Certificates> } = {}): VerifyIdToken {
  const client = new OAuth2Client();
  return async (idToken, audience) => {
    const ticket = options.certs
      ? await client.verifySignedJwtWithCertsAsync(idToken, await options.certs(), audience, ISSUERS)
      : await client.verifyIdToken({ idToken, audience });
    const payload = ticket.getPayload();
    if (!payload?.email || payload.email_verified !== true)
      throw new Error('the ID token names no verified e-mail');
    return payload.email;
  };
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * The operator: in production the e-mail of the `Authorization: Bearer` ID token, verified here with its
 * audience (`ADMIN_AUDIENCE`, else this service's own https origin, which Cloud Run puts in the ID tokens it
 * accepts). `X-Goog-Authenticated-User-Email` is ignored: only IAP sets it, IAP is not deployed, so anyone
 * could. No token, or one that does not verify: 401. Locally (`HOSTPAY_ENV=local`) `X-Operator`, or "local".
 */
export async function operatorIdentity(
  deps: { config: Pick<Config, 'env' | 'adminAudience'>; verifyIdToken: VerifyIdToken },
  headers: Headers,
): Promise<string> {
  if (deps.config.env === 'local') return first(headers['x-operator'])?.slice(0, 200) || 'local';
  const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(first(headers.authorization) ?? '')?.[1];
  if (token === undefined) throw new RequestError(401, 'unauthenticated', 'no ID token on this request');
  const audience = deps.config.adminAudience ?? `https://${first(headers.host) ?? ''}`;
  try {
    return (await deps.verifyIdToken(token, audience)).slice(0, 200);
  } catch {
    throw new RequestError(401, 'unauthenticated', 'the ID token does not verify for this service');
  }
}
