import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadTokenArtifacts } from '../../../local/contracts/artifacts.js';
import { ARTIFACTS_FILE, compileTestTokens, serializeArtifacts } from '../../../local/contracts/compile.js';

describe('test token contracts', () => {
  it('the committed artifacts are exactly what the sources compile to with the bundled solc', async () => {
    const fresh = await compileTestTokens();
    assert.equal(await readFile(ARTIFACTS_FILE, 'utf8'), serializeArtifacts(fresh));
  });

  it('the standard token returns a bool from transfer; the USDT-like one returns nothing', async () => {
    const { contracts } = await loadTokenArtifacts();
    const transferOf = (abi: unknown[]) =>
      abi.find((entry) => (entry as { name?: string }).name === 'transfer') as { outputs: unknown[] };
    assert.deepEqual(
      transferOf(contracts.TestToken.abi).outputs.map((o) => (o as { type: string }).type),
      ['bool'],
    );
    assert.deepEqual(transferOf(contracts.NoReturnToken.abi).outputs, []);
    for (const name of ['TestToken', 'NoReturnToken'] as const) {
      const names = contracts[name].abi.map((entry) => (entry as { name?: string }).name);
      for (const fn of ['mint', 'balanceOf', 'decimals', 'Transfer'])
        assert.ok(names.includes(fn), `${name}.${fn}`);
      assert.match(contracts[name].bytecode, /^0x[0-9a-f]{200,}$/);
    }
  });
});
