import assert from 'node:assert/strict';
import { access, constants } from 'node:fs/promises';
import { anvilRpc, resolveAnvilBinary, startAnvil } from '../../../local/anvil.js';
import { startRpcProxy } from '../../../local/rpcProxy.js';

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('anvil from npm and the counting RPC proxy', () => {
  it('resolves the platform binary inside the @foundry-rs packages', async () => {
    const binary = resolveAnvilBinary();
    assert.match(
      binary,
      /node_modules[\\/]@foundry-rs[\\/]anvil-(linux|darwin|win32)-(amd64|arm64)[\\/]bin[\\/]anvil(\.exe)?$/,
    );
    await access(binary, constants.X_OK);
  });

  it('starts two nodes on their own random ports with the chain id asked for, and stops them', async () => {
    const [a, b] = await Promise.all([startAnvil({ chainId: 1337 }), startAnvil()]);
    try {
      assert.notEqual(a.port, b.port);
      assert.equal(await anvilRpc(a.rpcUrl, 'eth_chainId'), '0x539');
      assert.equal(await anvilRpc(b.rpcUrl, 'eth_chainId'), '0x7a69');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    await assert.rejects(anvilRpc(a.rpcUrl, 'eth_chainId'));
    await a.stop();
  });

  it('with a block time, mines blocks without transactions', async () => {
    const node = await startAnvil({ blockTime: 1 });
    try {
      const first = Number(await anvilRpc(node.rpcUrl, 'eth_blockNumber'));
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      assert.ok(Number(await anvilRpc(node.rpcUrl, 'eth_blockNumber')) >= first + 2);
    } finally {
      await node.stop();
    }
  });

  describe('proxy', () => {
    let node: Awaited<ReturnType<typeof startAnvil>>;
    let proxy: Awaited<ReturnType<typeof startRpcProxy>>;
    before(async () => {
      node = await startAnvil();
      proxy = await startRpcProxy(node.rpcUrl);
    });
    afterEach(() => proxy.clearFaults());
    after(async () => {
      await proxy?.stop();
      await node?.stop();
    });

    it('forwards calls and counts a batch call by call, as one HTTP request', async () => {
      proxy.reset();
      const answer = await post(proxy.url, [
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'eth_chainId', params: [] },
      ]);
      assert.equal(answer.status, 200);
      assert.equal((answer.body as unknown[]).length, 3);
      assert.deepEqual(proxy.counts(), { eth_chainId: 2, eth_blockNumber: 1 });
      assert.deepEqual(proxy.methods(), ['eth_chainId', 'eth_blockNumber', 'eth_chainId']);
      assert.equal(proxy.httpRequests(), 1);
      assert.equal(proxy.totalCalls(), 3);
    });

    it('answers HTTP 429 with a JSON-RPC error to the next N requests carrying the method only', async () => {
      proxy.rateLimit({ method: 'eth_blockNumber', times: 2 });
      const call = (method: string) => post(proxy.url, { jsonrpc: '2.0', id: 7, method, params: [] });
      assert.equal((await call('eth_chainId')).status, 200);
      const limited = await call('eth_blockNumber');
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, {
        jsonrpc: '2.0',
        id: 7,
        error: { code: -32005, message: 'Too Many Requests: request rate limit exceeded' },
      });
      assert.equal((await call('eth_blockNumber')).status, 429);
      assert.equal((await call('eth_blockNumber')).status, 200);
    });

    it('delays and drops requests', async () => {
      proxy.delay({ ms: 300, times: 1 });
      const started = Date.now();
      await post(proxy.url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
      assert.ok(Date.now() - started >= 300);
      proxy.drop({ times: 1 });
      await assert.rejects(post(proxy.url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }));
      assert.equal(
        (await post(proxy.url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })).status,
        200,
      );
    });
  });
});
