import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbiCoder,
  FetchRequest,
  FetchResponse,
  getAddress,
  type HDNodeWallet,
  JsonRpcProvider,
  makeError,
  parseUnits,
  Wallet,
} from 'ethers';
import { type Classification, classifyError } from '../../../shared/classifier/index.js';
import { type ErrorCode, HostpayError } from '../../../shared/errors.js';
import { VECTORS_DIR } from '../../support/vectors.js';

const ANVIL = new URL('../../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil', import.meta.url)
  .pathname;
const VECTORS = new URL('classifier_cases.json', VECTORS_DIR);

const transaction = { to: `0x${'22'.repeat(20)}`, value: 1n };

/** Error(string) ABI encoding of "ERC20: transfer amount exceeds balance". */
const REVERT_DATA =
  '0x08c379a00000000000000000000000000000000000000000000000000000000000000020' +
  '000000000000000000000000000000000000000000000000000000000000002645524332303a207472616e7366657220' +
  '616d6f756e7420657863656564732062616c616e63650000000000000000000000000000000000000000000000000000';

function expectCode(
  err: unknown,
  code: ErrorCode,
  options: { lookup?: boolean; retryable?: boolean } = {},
): Classification {
  const result = classifyError(err);
  assert.equal(result.code, code, `classified by ${result.source}`);
  assert.equal(result.lookup, options.lookup ?? false, `lookup flag (${result.source})`);
  if (options.retryable !== undefined) assert.equal(result.retryable, options.retryable);
  return result;
}

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  assert.fail('expected the action to throw');
}

/** The error ethers' JsonRpcProvider builds from a node's JSON-RPC error answer, by ethers' own code. */
function ethersRpcError(method: string, error: Record<string, unknown>): Error {
  const provider = new JsonRpcProvider('http://127.0.0.1:9', 1, { staticNetwork: true });
  try {
    const params = [
      method === 'eth_sendRawTransaction' ? '0x02f8' : { to: `0x${'11'.repeat(20)}`, data: '0x' },
    ];
    return provider.getRpcError({ method, params, id: 1, jsonrpc: '2.0' }, { id: 1, error: error as never });
  } finally {
    provider.destroy();
  }
}

describe('classifyError', () => {
  describe('upstream vectors (classifier_cases.json)', () => {
    const cases = JSON.parse(readFileSync(VECTORS, 'utf8')) as Array<{
      message: string;
      code: ErrorCode;
      retryable: boolean;
    }>;
    it('has the cases to check', () => assert.ok(cases.length >= 20));
    for (const { message, code, retryable } of cases) {
      it(`"${message}" is ${code}, ${retryable ? 'retryable' : 'not retryable'}`, () => {
        const result = classifyError(new Error(message));
        assert.equal(result.code, code);
        assert.equal(result.retryable, retryable);
      });
    }
  });

  describe('errors built the way ethers v6 builds them', () => {
    it('INSUFFICIENT_FUNDS from a send is INSUFFICIENT_FUNDS, permanent', () => {
      const err = makeError('insufficient funds for intrinsic transaction cost', 'INSUFFICIENT_FUNDS', {
        transaction,
        info: { error: { code: -32000, message: 'insufficient funds for gas * price + value' } },
      });
      const result = expectCode(err, 'INSUFFICIENT_FUNDS', { retryable: false });
      assert.equal(result.source, 'ethers:INSUFFICIENT_FUNDS');
      assert.equal(result.retryDelaySeconds, null);
    });

    it('NONCE_EXPIRED is NONCE_CONFLICT with a look-up of our transaction', () => {
      const err = makeError('nonce has already been used', 'NONCE_EXPIRED', {
        transaction,
        info: { error: { code: -32000, message: 'nonce too low' } },
      });
      expectCode(err, 'NONCE_CONFLICT', { lookup: true, retryable: true });
    });

    it('REPLACEMENT_UNDERPRICED is NONCE_CONFLICT without a look-up (bump the fee further)', () => {
      const err = makeError('replacement fee too low', 'REPLACEMENT_UNDERPRICED', {
        transaction,
        info: { error: { code: -32000, message: 'replacement transaction underpriced' } },
      });
      expectCode(err, 'NONCE_CONFLICT', { lookup: false, retryable: true });
    });

    it('TRANSACTION_REPLACED is NONCE_CONFLICT with a look-up', () => {
      const err = makeError('transaction was replaced', 'TRANSACTION_REPLACED', {
        cancelled: true,
        reason: 'cancelled',
        replacement: null as never,
        hash: `0x${'33'.repeat(32)}`,
        receipt: null as never,
      });
      expectCode(err, 'NONCE_CONFLICT', { lookup: true });
    });

    it('a request TIMEOUT from the fetch layer is NETWORK_TIMEOUT', () => {
      expectCode(makeError('request timeout', 'TIMEOUT'), 'NETWORK_TIMEOUT', { retryable: true });
      const request = new FetchRequest('http://127.0.0.1:9');
      expectCode(
        makeError('timeout', 'TIMEOUT', { operation: 'request.send', reason: 'timeout', request }),
        'NETWORK_TIMEOUT',
      );
    });

    it('a TIMEOUT waiting for a receipt is CONFIRMATION_TIMEOUT', () => {
      expectCode(makeError('wait for transaction timeout', 'TIMEOUT'), 'CONFIRMATION_TIMEOUT');
      // provider.waitForTransaction builds exactly this, without the `operation` its type asks for.
      expectCode(makeError('timeout', 'TIMEOUT', { reason: 'timeout' } as never), 'CONFIRMATION_TIMEOUT');
    });

    it('a 429 escalated by FetchResponse after its throttle retries is RATE_LIMIT_EXCEEDED, 300 s', () => {
      const request = new FetchRequest('https://rpc.example/v2/abc');
      const throttled = new FetchResponse(429, 'Too Many Requests', {}, null, request);
      const err = rejectionSync(() => throttled.makeServerError('exceeded maximum retry limit').assertOk());
      assert.equal((err as { code?: string }).code, 'SERVER_ERROR');
      const result = expectCode(err, 'RATE_LIMIT_EXCEEDED', { retryable: true });
      assert.equal(result.source, 'http:429');
      assert.equal(result.retryDelaySeconds, 300);
    });

    it('a 503 SERVER_ERROR is NETWORK_TIMEOUT, retryable after the default delay', () => {
      const request = new FetchRequest('https://rpc.example/');
      const err = rejectionSync(() =>
        new FetchResponse(503, 'Service Unavailable', {}, null, request).assertOk(),
      );
      const result = expectCode(err, 'NETWORK_TIMEOUT', { retryable: true });
      assert.equal(result.retryDelaySeconds, 60);
    });

    it('a 401 SERVER_ERROR (rejected API key) is RPC_CONNECTION_FAILED', () => {
      const request = new FetchRequest('https://rpc.example/');
      const err = rejectionSync(() => new FetchResponse(401, 'Unauthorized', {}, null, request).assertOk());
      expectCode(err, 'RPC_CONNECTION_FAILED', { retryable: false });
    });

    it('CALL_EXCEPTION with revert data is TRANSACTION_REVERTED_PERMANENT', () => {
      const err = AbiCoder.getBuiltinCallException('estimateGas', transaction, REVERT_DATA);
      assert.equal(err.reason, 'ERC20: transfer amount exceeds balance');
      expectCode(err, 'TRANSACTION_REVERTED_PERMANENT', { retryable: false });
    });

    it('CALL_EXCEPTION without revert data lets the node error inside decide', () => {
      const rateLimited = AbiCoder.getBuiltinCallException('call', transaction, null);
      rateLimited.info = {
        error: { code: -32005, message: 'daily request count exceeded, request rate limited' },
      };
      expectCode(rateLimited, 'RATE_LIMIT_EXCEEDED');

      const internal = AbiCoder.getBuiltinCallException('call', transaction, null);
      internal.info = { error: { code: -32603, message: 'Internal error' } };
      expectCode(internal, 'NETWORK_TIMEOUT');

      const bare = AbiCoder.getBuiltinCallException('call', transaction, null);
      expectCode(bare, 'TRANSACTION_REVERTED_PERMANENT');
    });

    it('INVALID_ARGUMENT from a bad address checksum is INVALID_ADDRESS', () => {
      const err = rejectionSync(() => getAddress('0xdAC17F958D2ee523a2206206994597C13D831ec8'));
      expectCode(err, 'INVALID_ADDRESS');
    });

    it('INVALID_ARGUMENT about something other than an address is not called an address problem', () => {
      const err = rejectionSync(() => parseUnits('1.2.3', 6));
      assert.equal((err as { code?: string }).code, 'INVALID_ARGUMENT');
      assert.notEqual(classifyError(err).code, 'INVALID_ADDRESS');
    });

    it('UNKNOWN_ERROR ("could not coalesce error") is decided by the JSON-RPC error inside', () => {
      const err = ethersRpcError('eth_sendRawTransaction', { code: -32000, message: 'already known' });
      assert.equal((err as { code?: string }).code, 'UNKNOWN_ERROR');
      const result = expectCode(err, 'NONCE_CONFLICT', { lookup: true });
      assert.equal(result.source, 'json-rpc-message:already known');
    });

    it('NETWORK_ERROR around a refused connection is RPC_CONNECTION_FAILED from the errno inside', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), {
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
      });
      const err = makeError('failed to bootstrap network detection', 'NETWORK_ERROR', {
        event: 'initial-network-discovery',
        info: { error: refused },
      });
      const result = expectCode(err, 'RPC_CONNECTION_FAILED');
      assert.equal(result.source, 'errno:ECONNREFUSED');
    });
  });

  describe('node messages in each client spelling, as JSON-RPC errors through ethers', () => {
    type Case = [
      client: string,
      code: number,
      message: string,
      expected: ErrorCode,
      lookup: boolean,
      data?: string,
    ];
    const sends: Case[] = [
      [
        'geth',
        -32000,
        'insufficient funds for gas * price + value: balance 0, tx cost 21000, overshot 21000',
        'INSUFFICIENT_FUNDS',
        false,
      ],
      ['geth', -32000, 'nonce too low: next nonce 5, tx nonce 3', 'NONCE_CONFLICT', true],
      ['geth', -32000, 'already known', 'NONCE_CONFLICT', true],
      [
        'geth',
        -32000,
        'max fee per gas less than block base fee: address 0x71C7656EC7ab88b098defB751B7401B5f6d8976F, maxFeePerGas: 1, baseFee: 7',
        'GAS_PRICE_SPIKE',
        false,
      ],
      [
        'geth',
        -32000,
        'intrinsic gas too low: gas 20000, minimum needed 21000',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
      ],
      ['erigon', -32000, 'insufficient funds', 'INSUFFICIENT_FUNDS', false],
      ['erigon', -32000, 'nonce too low', 'NONCE_CONFLICT', true],
      ['erigon', -32000, 'ALREADY_EXISTS: already known', 'NONCE_CONFLICT', true],
      ['erigon', -32000, 'INTERNAL_ERROR: existing tx with same hash', 'NONCE_CONFLICT', true],
      [
        'erigon',
        -32000,
        'fee cap less than block base fee: address 0x71C7656EC7ab88b098defB751B7401B5f6d8976F, gasFeeCap: 1 baseFee: 7',
        'GAS_PRICE_SPIKE',
        false,
      ],
      ['erigon', -32000, 'IntrinsicGas', 'TRANSACTION_REVERTED_PERMANENT', false],
      [
        'erigon',
        -32000,
        'intrinsic gas too low: have 20000, want 21000',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
      ],
      [
        'nethermind',
        -32010,
        'InsufficientFunds, Account balance: 3020000000000000000, cumulative cost: 5809177184380485770',
        'INSUFFICIENT_FUNDS',
        false,
      ],
      ['nethermind', -32010, 'OldNonce, Current nonce: 5, nonce of rejected tx: 3', 'NONCE_CONFLICT', true],
      ['nethermind', -32000, 'nonce too low', 'NONCE_CONFLICT', true],
      ['nethermind', -32010, 'AlreadyKnown', 'NONCE_CONFLICT', true],
      [
        'nethermind',
        -32010,
        'FeeTooLow, MaxFeePerGas too low. MaxFeePerGas: 1, BaseFee: 7, MaxPriorityFeePerGas:1, Block number: 100',
        'GAS_PRICE_SPIKE',
        false,
      ],
      ['nethermind', -32010, 'FeeTooLowToCompete', 'NONCE_CONFLICT', false],
      [
        'nethermind',
        -32000,
        'IntrinsicGasTooLow: gas limit is below intrinsic gas.',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
      ],
      ['besu', -32004, 'Upfront cost exceeds account balance', 'INSUFFICIENT_FUNDS', false],
      ['besu', -32001, 'Nonce too low', 'NONCE_CONFLICT', true],
      ['besu', -32000, 'Known transaction', 'NONCE_CONFLICT', true],
      ['besu', -32000, 'Replacement transaction underpriced', 'NONCE_CONFLICT', false],
      ['besu', -32009, 'Gas price below current base fee', 'GAS_PRICE_SPIKE', false],
      ['besu', -32003, 'Intrinsic gas exceeds gas limit', 'TRANSACTION_REVERTED_PERMANENT', false],
      ['anvil', -32003, 'transaction already imported', 'NONCE_CONFLICT', true],
      ['infura', -32005, 'daily request count exceeded, request rate limited', 'RATE_LIMIT_EXCEEDED', false],
      [
        'alchemy',
        429,
        'Your app has exceeded its compute units per second capacity.',
        'RATE_LIMIT_EXCEEDED',
        false,
      ],
    ];
    const calls: Case[] = [
      [
        'geth',
        3,
        'execution reverted: ERC20: transfer amount exceeds balance',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
        REVERT_DATA,
      ],
      ['geth', 3, 'execution reverted', 'TRANSACTION_REVERTED_PERMANENT', false, '0x'],
      ['erigon', 3, 'execution reverted', 'TRANSACTION_REVERTED_PERMANENT', false, REVERT_DATA],
      [
        'nethermind',
        3,
        'execution reverted: ERC20: transfer amount exceeds balance',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
        REVERT_DATA,
      ],
      [
        'nethermind',
        -32015,
        'VM execution error.',
        'TRANSACTION_REVERTED_PERMANENT',
        false,
        `Reverted ${REVERT_DATA}`,
      ],
      ['besu', -32000, 'Execution reverted', 'TRANSACTION_REVERTED_PERMANENT', false, REVERT_DATA],
    ];
    const table: Array<[string, Case]> = [
      ...sends.map((c): [string, Case] => ['eth_sendRawTransaction', c]),
      ...calls.map((c): [string, Case] => ['eth_estimateGas', c]),
    ];
    for (const [method, [client, code, message, expected, lookup, data]] of table) {
      const error: Record<string, unknown> = data === undefined ? { code, message } : { code, message, data };
      it(`${client} "${message.slice(0, 60)}" (${code}) is ${expected}${lookup ? ' with a look-up' : ''}`, () => {
        expectCode(ethersRpcError(method, error), expected, { lookup });
        expectCode({ ...error }, expected, { lookup });
        expectCode(new Error(message), expected, { lookup });
      });
    }
  });

  describe('structure before message', () => {
    it('an ethers code wins over a message that says something else', () => {
      const err = makeError('nonce too low', 'INSUFFICIENT_FUNDS', { transaction });
      expectCode(err, 'INSUFFICIENT_FUNDS');
    });

    it('a JSON-RPC error code 3 deep in the chain wins over an outer message about timeouts', () => {
      const err = new Error('request timed out while estimating', {
        cause: { code: 3, message: 'the node said so', data: REVERT_DATA },
      });
      expectCode(err, 'TRANSACTION_REVERTED_PERMANENT');
    });

    it('a HostpayError keeps its code whatever its cause says', () => {
      const cause = makeError('nonce has already been used', 'NONCE_EXPIRED', { transaction });
      const err = new HostpayError('INVALID_AMOUNT', 'amount rounds down to zero', { cause });
      const result = expectCode(err, 'INVALID_AMOUNT');
      assert.equal(result.source, 'hostpay');
    });

    it('a HostpayError NONCE_CONFLICT keeps the look-up its cause calls for', () => {
      const cause = makeError('could not coalesce error', 'UNKNOWN_ERROR', {
        error: { code: -32000, message: 'already known' },
      });
      expectCode(new HostpayError('NONCE_CONFLICT', 'broadcast answered', { cause }), 'NONCE_CONFLICT', {
        lookup: true,
      });
      expectCode(new HostpayError('NONCE_CONFLICT', 'nonce row busy'), 'NONCE_CONFLICT', { lookup: false });
    });

    it('a HostpayError wrapped in a plain Error still decides', () => {
      const err = new Error('attempt failed', {
        cause: new HostpayError('GAS_PRICE_SPIKE', 'fee above cap'),
      });
      expectCode(err, 'GAS_PRICE_SPIKE');
    });

    it('follows a cause chain five deep to an ethers error', () => {
      let err: unknown = makeError(
        'insufficient funds for intrinsic transaction cost',
        'INSUFFICIENT_FUNDS',
        { transaction },
      );
      for (const layer of ['send', 'payout', 'attempt', 'handler', 'function'])
        err = new Error(`${layer} failed`, { cause: err });
      const result = expectCode(err, 'INSUFFICIENT_FUNDS');
      assert.equal(result.source, 'ethers:INSUFFICIENT_FUNDS');
    });

    it('reads nested error.error and ethers v5 string bodies', () => {
      expectCode({ error: { error: { code: -32000, message: 'nonce too low' } } }, 'NONCE_CONFLICT', {
        lookup: true,
      });
      const v5 = Object.assign(new Error('processing response error'), {
        code: 'SERVER_ERROR',
        body: '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"insufficient funds for transfer"}}',
      });
      expectCode(v5, 'INSUFFICIENT_FUNDS');
    });

    it('survives a cause cycle', () => {
      const a = new Error('outer');
      const b = new Error('inner', { cause: a });
      Object.assign(a, { cause: b });
      expectCode(a, 'UNKNOWN_ERROR', { retryable: false });
    });
  });

  describe('Node network errors', () => {
    const errnos: Array<[string, ErrorCode]> = [
      ['ECONNREFUSED', 'RPC_CONNECTION_FAILED'],
      ['ENOTFOUND', 'RPC_CONNECTION_FAILED'],
      ['ECONNRESET', 'NETWORK_TIMEOUT'],
      ['ETIMEDOUT', 'NETWORK_TIMEOUT'],
      ['EAI_AGAIN', 'NETWORK_TIMEOUT'],
      ['UND_ERR_CONNECT_TIMEOUT', 'NETWORK_TIMEOUT'],
      ['UND_ERR_HEADERS_TIMEOUT', 'NETWORK_TIMEOUT'],
      ['UND_ERR_SOCKET', 'NETWORK_TIMEOUT'],
    ];
    for (const [code, expected] of errnos) {
      it(`${code} under fetch's "fetch failed" is ${expected}`, () => {
        const cause = Object.assign(new Error(`${code} while talking to the RPC endpoint`), { code });
        const result = expectCode(new TypeError('fetch failed', { cause }), expected);
        assert.equal(result.source, `errno:${code}`);
      });
    }

    it('an AbortSignal.timeout TimeoutError is NETWORK_TIMEOUT', async () => {
      const err = await rejection(
        () =>
          new Promise((_, reject) => {
            const signal = AbortSignal.timeout(1);
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
      );
      expectCode(err, 'NETWORK_TIMEOUT');
    });
  });

  describe('delays and shape', () => {
    it('uses the configured delays', () => {
      const delays = { defaultSeconds: 7, rateLimitSeconds: 99 };
      assert.equal(classifyError(new Error('429 Too Many Requests'), delays).retryDelaySeconds, 99);
      assert.equal(classifyError(new Error('connection timeout'), delays).retryDelaySeconds, 7);
      assert.equal(classifyError(new Error('wallet unlock failed'), delays).retryDelaySeconds, null);
    });

    it('describes each code with its fixed text, never the error message', () => {
      const secretUrl = 'https://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789SECRETkey';
      const privateKey = `0x${'ab'.repeat(32)}`;
      const errors: unknown[] = [
        new Error(`connection refused by ${secretUrl}`),
        new Error(`invalid private key ${privateKey}`),
        makeError(`could not coalesce error ${secretUrl}`, 'UNKNOWN_ERROR', {
          error: { code: -32000, message: `nonce too low ${privateKey}` },
        }),
        new Error(`something odd at ${secretUrl} with ${privateKey}`),
      ];
      for (const err of errors) {
        const text = JSON.stringify(classifyError(err));
        assert.ok(!text.includes('SECRETkey') && !text.includes('abab'), text);
      }
    });
  });

  describe('real errors from a real anvil node through ethers', function () {
    this.timeout(30_000);
    let anvil: ChildProcess;
    let provider: JsonRpcProvider;
    let funded: HDNodeWallet;
    const reverting = revertingInitCode();

    before(async () => {
      const started = await startAnvil();
      anvil = started.child;
      provider = new JsonRpcProvider(started.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
      funded = Wallet.createRandom().connect(provider);
      await provider.send('anvil_setBalance', [funded.address, '0x56bc75e2d63100000']);
    });

    after(async () => {
      provider?.destroy();
      if (anvil !== undefined) await stopProcess(anvil);
    });

    it('an empty wallet sending ETH is INSUFFICIENT_FUNDS, with or without gas estimation', async () => {
      const empty = Wallet.createRandom().connect(provider);
      expectCode(
        await rejection(() => empty.sendTransaction({ to: funded.address, value: 1n })),
        'INSUFFICIENT_FUNDS',
      );
      const fixedGas = await rejection(() =>
        empty.sendTransaction({ to: funded.address, value: 1n, gasLimit: 21_000n }),
      );
      expectCode(fixedGas, 'INSUFFICIENT_FUNDS');
    });

    it('reusing a mined nonce is NONCE_CONFLICT with a look-up', async () => {
      const first = await funded.sendTransaction({ to: funded.address, value: 0n });
      await first.wait();
      const err = await rejection(() =>
        funded.sendTransaction({ to: funded.address, value: 0n, nonce: first.nonce, gasLimit: 21_000n }),
      );
      expectCode(err, 'NONCE_CONFLICT', { lookup: true });
    });

    it('a gas limit below 21000 is TRANSACTION_REVERTED_PERMANENT (intrinsic gas too low)', async () => {
      const err = await rejection(() =>
        funded.sendTransaction({ to: funded.address, value: 1n, gasLimit: 20_000n }),
      );
      expectCode(err, 'TRANSACTION_REVERTED_PERMANENT');
    });

    it('a max fee below the block base fee is GAS_PRICE_SPIKE', async () => {
      const err = await rejection(() =>
        funded.sendTransaction({
          to: funded.address,
          value: 1n,
          gasLimit: 21_000n,
          maxFeePerGas: 1n,
          maxPriorityFeePerGas: 1n,
        }),
      );
      expectCode(err, 'GAS_PRICE_SPIKE', { retryable: true });
    });

    it('a reverting call is TRANSACTION_REVERTED_PERMANENT at estimation and once mined', async () => {
      expectCode(
        await rejection(() => funded.estimateGas({ data: reverting })),
        'TRANSACTION_REVERTED_PERMANENT',
      );
      const mined = await rejection(async () => {
        const tx = await funded.sendTransaction({ data: reverting, gasLimit: 100_000n });
        await tx.wait();
      });
      assert.ok((mined as { receipt?: unknown }).receipt, 'ethers reports the mined receipt');
      expectCode(mined, 'TRANSACTION_REVERTED_PERMANENT');
    });

    it('a recipient with a bad checksum or not an address at all is INVALID_ADDRESS', async () => {
      const badChecksum = '0xdAC17F958D2ee523a2206206994597C13D831ec8';
      expectCode(
        await rejection(() => funded.sendTransaction({ to: badChecksum, value: 1n })),
        'INVALID_ADDRESS',
      );
      expectCode(
        await rejection(() => funded.sendTransaction({ to: '0x1234', value: 1n })),
        'INVALID_ADDRESS',
      );
    });

    describe('with mining paused', () => {
      before(() => provider.send('evm_setAutomine', [false]));
      after(async () => {
        await provider.send('evm_setAutomine', [true]);
        await provider.send('evm_mine', []);
      });

      it('"already known", "replacement underpriced" and a receipt wait that times out', async () => {
        const nonce = await provider.getTransactionCount(funded.address, 'pending');
        const request = await funded.populateTransaction({
          to: funded.address,
          value: 1n,
          nonce,
          gasLimit: 21_000n,
        });
        const signed = await funded.signTransaction(request);
        const pending = await provider.broadcastTransaction(signed);

        const again = await rejection(() => provider.broadcastTransaction(signed));
        expectCode(again, 'NONCE_CONFLICT', { lookup: true });

        const sameFees = await rejection(() => funded.sendTransaction({ ...request, value: 2n }));
        expectCode(sameFees, 'NONCE_CONFLICT', { lookup: false });

        const waited = await rejection(() => provider.waitForTransaction(pending.hash, 1, 100));
        expectCode(waited, 'CONFIRMATION_TIMEOUT', { retryable: true });
      });
    });
  });

  describe('real errors from the HTTP layer through ethers and fetch', function () {
    this.timeout(20_000);
    const servers: Server[] = [];
    const providers: JsonRpcProvider[] = [];

    async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }

    function providerFor(url: string, timeoutMs = 5_000): JsonRpcProvider {
      const request = new FetchRequest(url);
      request.timeout = timeoutMs;
      // One attempt only: ethers otherwise retries a 429 up to 12 times before giving up.
      request.setThrottleParams({ maxAttempts: 1 });
      const provider = new JsonRpcProvider(request, 1, { staticNetwork: true, batchMaxCount: 1 });
      providers.push(provider);
      return provider;
    }

    afterEach(async () => {
      for (const provider of providers.splice(0)) provider.destroy();
      for (const server of servers.splice(0)) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('a 429 answer is RATE_LIMIT_EXCEEDED', async () => {
      const url = await serve((_req, res) => res.writeHead(429, 'Too Many Requests').end('slow down'));
      const err = await rejection(() => providerFor(url).getBlockNumber());
      assert.equal((err as { code?: string }).code, 'SERVER_ERROR');
      expectCode(err, 'RATE_LIMIT_EXCEEDED');
    });

    it('a 503 answer is NETWORK_TIMEOUT, retryable', async () => {
      const url = await serve((_req, res) => res.writeHead(503, 'Service Unavailable').end());
      expectCode(await rejection(() => providerFor(url).getBlockNumber()), 'NETWORK_TIMEOUT', {
        retryable: true,
      });
    });

    it('a JSON-RPC -32005 rate limit inside a 200 answer is RATE_LIMIT_EXCEEDED', async () => {
      const url = await serve((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          const { id } = JSON.parse(body) as { id: number };
          const error = { code: -32005, message: 'daily request count exceeded, request rate limited' };
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id, error }));
        });
      });
      expectCode(await rejection(() => providerFor(url).getBlockNumber()), 'RATE_LIMIT_EXCEEDED');
    });

    it('a server that never answers is NETWORK_TIMEOUT', async () => {
      const url = await serve(() => {});
      expectCode(await rejection(() => providerFor(url, 200).getBlockNumber()), 'NETWORK_TIMEOUT');
    });

    it('a connection reset mid-request is NETWORK_TIMEOUT', async () => {
      const url = await serve((req) => req.socket.destroy());
      const err = await rejection(() => providerFor(url).getBlockNumber());
      assert.equal((err as { code?: string }).code, 'ECONNRESET');
      expectCode(err, 'NETWORK_TIMEOUT');
    });

    it('a refused connection is RPC_CONNECTION_FAILED, through ethers and through fetch', async () => {
      const url = await serve(() => {});
      const server = servers.pop() as Server;
      await new Promise((resolve) => server.close(resolve));
      const viaEthers = await rejection(() => providerFor(url).getBlockNumber());
      expectCode(viaEthers, 'RPC_CONNECTION_FAILED', { retryable: false });
      const viaFetch = await rejection(() => fetch(url));
      assert.equal((viaFetch as Error).message, 'fetch failed');
      expectCode(viaFetch, 'RPC_CONNECTION_FAILED');
    });
  });

  describe('unknown stays UNKNOWN_ERROR', () => {
    const values: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an empty object', {}],
      ['a plain string', 'the moon is made of cheese'],
      ['an Error with no recognisable text', new Error('Unhandled edge case')],
      ['an unrelated errno', Object.assign(new Error('no such file'), { code: 'ENOENT' })],
      ['a JSON-RPC -32000 with an unknown message', { code: -32000, message: 'header not found' }],
      ['an anvil -32003 with an unknown message', { code: -32003, message: 'something new' }],
      ['an HTTP 400', { status: 400 }],
    ];
    for (const [name, value] of values) {
      it(`${name} is UNKNOWN_ERROR, not retryable`, () => {
        const result = expectCode(value, 'UNKNOWN_ERROR', { retryable: false });
        assert.equal(result.retryDelaySeconds, null);
        assert.equal(result.source, 'none');
      });
    }
  });
});

function rejectionSync(action: () => unknown): unknown {
  try {
    action();
  } catch (err) {
    return err;
  }
  assert.fail('expected the action to throw');
}

/** Init code that reverts with REVERT_DATA: CODECOPY the payload after these 12 bytes, then REVERT. */
function revertingInitCode(): string {
  const size = ((REVERT_DATA.length - 2) / 2).toString(16).padStart(2, '0');
  return `0x60${size}600c600039${`60${size}`}6000fd${REVERT_DATA.slice(2)}`;
}

/** Starts anvil on a free port (it prints "Listening on 127.0.0.1:PORT"). */
async function startAnvil(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(ANVIL, ['--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error('anvil did not start within 20 s')), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited early with code ${code}`));
    });
  }).catch(async (err: unknown) => {
    await stopProcess(child);
    throw err;
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
