import assert from 'node:assert/strict';
import { RequestError } from '../../shared/http/requestError.js';
import { operatorIdentity } from '../../shared/recovery/operatorIdentity.js';

const idToken = (claims: Record<string, unknown>) =>
  `Bearer e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('operatorIdentity', () => {
  const cases: [string, 'production' | 'local', Record<string, string>, string][] = [
    [
      'takes the IAP header without its prefix',
      'production',
      { 'x-goog-authenticated-user-email': 'accounts.google.com:ops@example.com' },
      'ops@example.com',
    ],
    [
      'takes the email of the ID token the platform checked',
      'production',
      { authorization: idToken({ email: 'sa@p.iam.gserviceaccount.com' }) },
      'sa@p.iam.gserviceaccount.com',
    ],
    [
      'prefers the IAP header to the token',
      'production',
      { 'x-goog-authenticated-user-email': 'a@x.com', authorization: idToken({ email: 'b@x.com' }) },
      'a@x.com',
    ],
    ['takes X-Operator locally', 'local', { 'x-operator': 'alice' }, 'alice'],
    ['names a local caller "local" when no header says who', 'local', {}, 'local'],
  ];
  for (const [name, env, headers, expected] of cases) {
    it(name, () => assert.equal(operatorIdentity({ env }, headers), expected));
  }

  const refused: [string, Record<string, string>][] = [
    ['no header at all', {}],
    ['X-Operator outside local mode', { 'x-operator': 'mallory' }],
    ['a bearer token without an email claim', { authorization: idToken({ sub: '123' }) }],
    ['a bearer value that is not a JWT', { authorization: 'Bearer abc' }],
  ];
  for (const [name, headers] of refused) {
    it(`refuses ${name} in production with 401`, () => {
      assert.throws(
        () => operatorIdentity({ env: 'production' }, headers),
        (error: unknown) => error instanceof RequestError && error.status === 401,
      );
    });
  }
});
