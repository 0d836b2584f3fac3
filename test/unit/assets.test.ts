import assert from 'node:assert/strict';
import { type AssetOverride, buildAssetTable, resolveAsset } from '../../shared/assets.js';
import { HostpayError } from '../../shared/errors.js';

function assertCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HostpayError, `expected HostpayError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

describe('assets', () => {
  describe('mainnet table', () => {
    const table = buildAssetTable(1);

    it('pays eth as native ETH with 18 decimals', () => {
      assert.deepEqual(resolveAsset(table, { currency: 'eth', network: 'eth' }), {
        symbol: 'eth',
        network: 'eth',
        chainId: 1,
        decimals: 18,
        kind: 'native',
      });
    });

    const tokens: Array<[string, string, number]> = [
      ['usdt', '0xdAC17F958D2ee523a2206206994597C13D831ec7', 6],
      ['usdc', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', 6],
      ['dai', '0x6B175474E89094C44Da98b954EedeAC495271d0F', 18],
    ];
    for (const [symbol, address, decimals] of tokens) {
      it(`pays ${symbol} through its mainnet contract with ${decimals} decimals`, () => {
        assert.deepEqual(resolveAsset(table, { currency: symbol, network: 'eth' }), {
          symbol,
          network: 'eth',
          chainId: 1,
          decimals,
          kind: 'erc20',
          address,
        });
      });
    }

    it('compares currency and network in lower case, as upstream sometimes sends ETH and USDT', () => {
      assert.equal(resolveAsset(table, { currency: 'USDT', network: 'ETH' }).symbol, 'usdt');
      assert.equal(resolveAsset(table, { currency: 'Eth', network: 'eth' }).kind, 'native');
    });

    it('never resolves usdt to native ETH or eth to a token', () => {
      assert.equal(resolveAsset(table, { currency: 'usdt', network: 'eth' }).kind, 'erc20');
      assert.equal(resolveAsset(table, { currency: 'eth', network: 'eth' }).kind, 'native');
    });

    const unsupported: Array<[string, string, string, RegExp]> = [
      ['an unknown symbol', 'btc', 'eth', /currency "btc" is not configured on chain 1/],
      ['an empty symbol', '', 'eth', /currency "" is not configured/],
      ['a symbol with spaces', ' usdt', 'eth', /not configured/],
      ['another network', 'usdt', 'tron', /network "tron" is not this chain's network "eth"/],
      ['an empty network', 'eth', '', /network "" is not/],
      ['a prototype key', 'constructor', 'eth', /not configured/],
    ];
    for (const [name, currency, network, message] of unsupported) {
      it(`rejects ${name} as UNSUPPORTED_CURRENCY`, () => {
        assertCode(() => resolveAsset(table, { currency, network }), 'UNSUPPORTED_CURRENCY', message);
      });
    }

    it('quotes at most 32 characters of the currency in the message', () => {
      assertCode(
        () => resolveAsset(table, { currency: 'x'.repeat(500), network: 'eth' }),
        'UNSUPPORTED_CURRENCY',
        /"x{32}"/,
      );
    });
  });

  describe('override from the ASSETS setting', () => {
    it('adds tokens on a test chain that has no built-in contracts', () => {
      const table = buildAssetTable(31337, {
        usdt: { address: '0x5fbdb2315678afecb367f032d93f642f64180aa3', decimals: 6 },
      });
      assert.deepEqual(resolveAsset(table, { currency: 'usdt', network: 'eth' }), {
        symbol: 'usdt',
        network: 'eth',
        chainId: 31337,
        decimals: 6,
        kind: 'erc20',
        address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      });
      assertCode(() => resolveAsset(table, { currency: 'dai', network: 'eth' }), 'UNSUPPORTED_CURRENCY');
    });

    it('has only eth on a test chain without an override', () => {
      const table = buildAssetTable(11155111);
      assert.deepEqual([...table.assets.keys()], ['eth']);
    });

    it('replaces a built-in token and keeps the others', () => {
      const table = buildAssetTable(1, {
        USDC: { address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', decimals: 18 },
      });
      const usdc = resolveAsset(table, { currency: 'usdc', network: 'eth' });
      assert.equal(usdc.kind === 'erc20' && usdc.address, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
      assert.equal(usdc.decimals, 18);
      assert.equal(resolveAsset(table, { currency: 'usdt', network: 'eth' }).decimals, 6);
    });

    const bad: Array<[string, number, unknown, RegExp]> = [
      ['a chain that is not Ethereum', 137, undefined, /CHAIN_ID 137/],
      [
        'a bad checksum',
        1,
        { usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec8', decimals: 6 } },
        /"usdt" address/,
      ],
      ['a short address', 1, { usdt: { address: '0x1234', decimals: 6 } }, /"usdt" address/],
      ['a missing address', 1, { usdt: { decimals: 6 } }, /"usdt" address/],
      [
        'fractional decimals',
        1,
        { usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6.5 } },
        /decimals/,
      ],
      [
        'negative decimals',
        1,
        { usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: -1 } },
        /decimals/,
      ],
      [
        'decimals as text',
        1,
        { usdt: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: '6' } },
        /decimals/,
      ],
      [
        'a token named eth',
        1,
        { eth: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 18 } },
        /native/,
      ],
      [
        'a symbol with spaces',
        1,
        { 'us dt': { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6 } },
        /symbol/,
      ],
      ['an entry that is not an object', 1, { usdt: 'x' }, /must be an object/],
    ];
    for (const [name, chainId, override, message] of bad) {
      it(`rejects ${name} as CONFIG_INVALID`, () => {
        assertCode(() => buildAssetTable(chainId, override as AssetOverride), 'CONFIG_INVALID', message);
      });
    }
  });
});
