import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { googleIdTokenVerifier, operatorIdentity } from '../../../shared/admin/operatorIdentity.js';
import { RequestError } from '../../../shared/http/requestError.js';
import { createIdTokenIssuer } from '../../support/idTokens.js';

const issuer = createIdTokenIssuer();
const verifyIdToken = googleIdTokenVerifier({ certs: issuer.certs });
const AUDIENCE = 'https://admin-api-xyz.a.run.app';

const jwt = (claims: Record<string, unknown>, key?: KeyObject, header: Record<string, unknown> = {}) =>
  issuer.sign({ aud: AUDIENCE, ...claims }, { ...(key ? { key } : {}), header });

const identify = (env: 'production' | 'local', headers: Record<string, string>) =>
  operatorIdentity({ config: { env, adminAudience: AUDIENCE }, verifyIdToken }, headers);

describe('operatorIdentity: only what the platform can prove', () => {
  it('takes the e-mail of an ID token signed by a trusted key for this audience', async () => {
    const token = jwt({ email: 'ops@example.com' });
    assert.equal(await identify('production', { authorization: `Bearer ${token}` }), 'ops@example.com');
  });

  it('checks the audience against the service origin when ADMIN_AUDIENCE is unset', async () => {
    const token = jwt({ email: 'ops@example.com' });
    const headers = { authorization: `Bearer ${token}`, host: 'admin-api-xyz.a.run.app' };
    assert.equal(
      await operatorIdentity(
        { config: { env: 'production', adminAudience: undefined }, verifyIdToken },
        headers,
      ),
      'ops@example.com',
    );
    await assert.rejects(
      operatorIdentity(
        { config: { env: 'production', adminAudience: undefined }, verifyIdToken },
        { ...headers, host: 'elsewhere.example.com' },
      ),
      (error: unknown) => error instanceof RequestError && error.status === 401,
    );
  });

  it('takes X-Operator locally, or "local" when no header says who', async () => {
    assert.equal(await identify('local', { 'x-operator': 'alice' }), 'alice');
    assert.equal(await identify('local', {}), 'local');
  });

  const now = Math.floor(Date.now() / 1000);
  const refused: [string, Record<string, string>][] = [
    ['no header at all', {}],
    [
      'a forged IAP header (IAP is not deployed: anyone can set it)',
      { 'x-goog-authenticated-user-email': 'accounts.google.com:ceo@example.com' },
    ],
    ['X-Operator outside local mode', { 'x-operator': 'mallory' }],
    [
      'an unsigned token that names an e-mail',
      {
        authorization: `Bearer e30.${Buffer.from('{"email":"ceo@example.com"}').toString('base64url')}.c2ln`,
      },
    ],
    [
      'a token signed by a key Google does not hold',
      { authorization: `Bearer ${jwt({ email: 'ceo@example.com' }, issuer.stranger)}` },
    ],
    [
      'a token for another audience',
      { authorization: `Bearer ${jwt({ email: 'ops@example.com', aud: 'https://other.a.run.app' })}` },
    ],
    [
      'an expired token',
      { authorization: `Bearer ${jwt({ email: 'ops@example.com', iat: now - 7200, exp: now - 3600 })}` },
    ],
    [
      'a token from another issuer',
      { authorization: `Bearer ${jwt({ email: 'ops@example.com', iss: 'https://evil.example.com' })}` },
    ],
    [
      'a token whose e-mail is not verified',
      { authorization: `Bearer ${jwt({ email: 'ops@example.com', email_verified: false })}` },
    ],
    [
      'a token with alg none and no signature',
      { authorization: `Bearer ${jwt({ email: 'ops@example.com' }).replace(/\.[\w-]+$/, '.')}` },
    ],
    ['a bearer value that is not a JWT', { authorization: 'Bearer abc' }],
  ];
  for (const [name, headers] of refused) {
    it(`refuses ${name} in production with 401`, async () => {
      await assert.rejects(
        identify('production', headers),
        (error: unknown) =>
          error instanceof RequestError && error.status === 401 && error.reason === 'unauthenticated',
      );
    });
  }
});
