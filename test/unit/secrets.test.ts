import assert from 'node:assert/strict';
import {
  type ClosableSecretResolver,
  createSecretManagerClient,
  isSecretReference,
  resolveSecrets,
  type SecretResolver,
} from '../../shared/secrets.js';

const REF = 'projects/hostpay-prod/secrets/wallet-key/versions/2';

/** A Secret Manager stand-in: `secrets` by version name; others fail as the real API does. */
function fakeClient(secrets: Record<string, string | Uint8Array | null>, failure: unknown = undefined) {
  const calls: string[] = [];
  let closed = 0;
  const client: ClosableSecretResolver = {
    async accessSecretVersion({ name }) {
      calls.push(name);
      if (failure !== undefined) throw failure;
      if (!(name in secrets))
        throw Object.assign(new Error(`5 NOT_FOUND: Secret [${name}] not found`), { code: 5 });
      return [{ payload: { data: secrets[name] } }, undefined, {}];
    },
    async close() {
      closed++;
    },
  };
  return { client, calls, closed: () => closed };
}

describe('secrets', () => {
  describe('isSecretReference', () => {
    const cases: [string, boolean][] = [
      ['projects/p/secrets/s/versions/1', true],
      ['projects/hostpay-prod/secrets/database-url/versions/latest', true],
      ['projects/p/secrets/s', false],
      ['projects/p/secrets/s/versions/', false],
      ['projects/p/secrets/s/versions/1/extra', false],
      [' projects/p/secrets/s/versions/1', false],
      ['postgres://u:p@host/projects/p/secrets/s/versions/1', false],
      ['0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', false],
    ];
    for (const [value, expected] of cases) {
      it(`${expected ? 'takes' : 'does not take'} ${JSON.stringify(value)} as a reference`, () => {
        assert.equal(isSecretReference(value), expected);
      });
    }
  });

  describe('resolveSecrets', () => {
    it('uses plain values as given and asks for nothing', async () => {
      let created = 0;
      const factory = async (): Promise<SecretResolver> => {
        created++;
        return fakeClient({}).client;
      };
      const result = await resolveSecrets({ A: 'plain-value\n', B: '' }, factory, ['A', 'B', 'C']);
      assert.deepEqual(result, { values: { A: 'plain-value', B: undefined, C: undefined }, problems: [] });
      assert.equal(created, 0);
    });

    it('reads a reference through the client, as bytes or text, without its trailing newline', async () => {
      const other = 'projects/p/secrets/other/versions/1';
      const { client, calls } = fakeClient({
        [REF]: new TextEncoder().encode('key-bytes\r\n'),
        [other]: 'text',
      });
      const result = await resolveSecrets({ A: REF, B: other }, client, ['A', 'B']);
      assert.deepEqual(result.values, { A: 'key-bytes', B: 'text' });
      assert.deepEqual(calls, [REF, other]);
    });

    it('only reads the settings it is asked for', async () => {
      const { client, calls } = fakeClient({ [REF]: 'x' });
      await resolveSecrets({ A: REF }, client, []);
      assert.deepEqual(calls, []);
    });

    it('closes a client it created from a factory, and not an injected one', async () => {
      const created = fakeClient({ [REF]: 'x' });
      await resolveSecrets({ A: REF }, async () => created.client, ['A']);
      assert.equal(created.closed(), 1);
      const injected = fakeClient({ [REF]: 'x' });
      await resolveSecrets({ A: REF }, injected.client, ['A']);
      assert.equal(injected.closed(), 0);
    });

    const failures: [string, ReturnType<typeof fakeClient>, string][] = [
      ['a missing version', fakeClient({}), 'could not read the Secret Manager version it names (NOT_FOUND)'],
      [
        'a denied read',
        fakeClient({}, Object.assign(new Error(`7 PERMISSION_DENIED: on ${REF}`), { code: 7 })),
        'could not read the Secret Manager version it names (PERMISSION_DENIED)',
      ],
      [
        'an error with no status',
        fakeClient({}, new Error('socket hang up')),
        'could not read the Secret Manager version it names (request failed)',
      ],
      [
        'an absent payload',
        fakeClient({ [REF]: null }),
        'the Secret Manager version it names has no UTF-8 payload',
      ],
      ['an empty payload', fakeClient({ [REF]: '' }), 'the Secret Manager version it names is empty'],
    ];
    for (const [what, fake, problem] of failures) {
      it(`reports ${what} by setting name only`, async () => {
        const result = await resolveSecrets({ WALLET_PRIVATE_KEY: REF }, fake.client, ['WALLET_PRIVATE_KEY']);
        assert.deepEqual(result.problems, [{ setting: 'WALLET_PRIVATE_KEY', problem }]);
        assert.equal(result.values.WALLET_PRIVATE_KEY, undefined);
      });
    }

    it('reports every reference when the client cannot be created', async () => {
      const result = await resolveSecrets({ A: REF, B: REF, C: 'plain-value' }, async () => {
        throw Object.assign(new Error('Could not load the default credentials'), { code: 'ENOCREDENTIALS' });
      }, ['A', 'B', 'C']);
      assert.deepEqual(result.problems, [
        { setting: 'A', problem: 'Secret Manager client unavailable (ENOCREDENTIALS)' },
        { setting: 'B', problem: 'Secret Manager client unavailable (ENOCREDENTIALS)' },
      ]);
      assert.equal(result.values.C, 'plain-value');
    });
  });

  describe('createSecretManagerClient', () => {
    it('loads the real client, which has the method hostpay calls', async () => {
      const client = await createSecretManagerClient();
      try {
        assert.equal(typeof client.accessSecretVersion, 'function');
      } finally {
        await client.close();
      }
    });
  });
});
