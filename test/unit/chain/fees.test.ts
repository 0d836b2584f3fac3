import assert from 'node:assert/strict';
import { parseUnits } from 'ethers';
import { bumpFees, computeFees, type FeePolicy } from '../../../shared/chain/fees.js';

const gwei = (value: string) => parseUnits(value, 'gwei');
const policy: FeePolicy = { maxFeePerGas: gwei('300'), maxPriorityFeePerGas: gwei('2'), feeBumpPercent: 15 };

describe('chain fees', () => {
  describe('computeFees', () => {
    const cases = [
      { name: 'low base fee: twice the base fee plus the tip', base: '10', max: '22', tip: '2' },
      { name: 'base fee of zero: the tip alone', base: '0', max: '2', tip: '2' },
      { name: 'twice the base fee above the cap: lowered to the cap', base: '200', max: '300', tip: '2' },
      { name: 'base fee plus tip exactly at the cap', base: '298', max: '300', tip: '2' },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.deepEqual(computeFees(gwei(c.base), policy), {
          maxFeePerGas: gwei(c.max),
          maxPriorityFeePerGas: gwei(c.tip),
        });
      });
    }

    it('GAS_PRICE_SPIKE when base fee plus tip is above the cap, naming both in gwei', () => {
      assert.throws(
        () => computeFees(gwei('298') + 1n, policy),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'GAS_PRICE_SPIKE');
          assert.match(error.message, /300\.000000001 gwei .* cap of 300\.0 gwei/);
          return true;
        },
      );
    });
  });

  describe('bumpFees', () => {
    const previous = { maxFeePerGas: gwei('22'), maxPriorityFeePerGas: gwei('2') };

    it('raises both fees by the bump percent, rounded up, when the base fee has not moved', () => {
      assert.deepEqual(bumpFees(previous, gwei('10'), policy), {
        maxFeePerGas: gwei('25.3'),
        maxPriorityFeePerGas: gwei('2.3'),
      });
      const odd = { maxFeePerGas: 101n, maxPriorityFeePerGas: 11n };
      assert.deepEqual(bumpFees(odd, 0n, { ...policy, maxPriorityFeePerGas: 0n }), {
        maxFeePerGas: 117n,
        maxPriorityFeePerGas: 13n,
      });
    });

    it('follows a risen base fee: at least what a new transaction would offer now', () => {
      assert.deepEqual(bumpFees(previous, gwei('50'), policy), {
        maxFeePerGas: gwei('102.3'),
        maxPriorityFeePerGas: gwei('2.3'),
      });
    });

    it('uses the nodes 10 % minimum when the setting asks for less', () => {
      assert.deepEqual(bumpFees(previous, 0n, { ...policy, feeBumpPercent: 5 }), {
        maxFeePerGas: gwei('24.2'),
        maxPriorityFeePerGas: gwei('2.2'),
      });
    });

    it('stops at the cap when 10 % still fits under it', () => {
      const near = { maxFeePerGas: gwei('270'), maxPriorityFeePerGas: gwei('2') };
      assert.deepEqual(bumpFees(near, gwei('100'), policy), {
        maxFeePerGas: gwei('300'),
        maxPriorityFeePerGas: gwei('2.3'),
      });
    });

    it('GAS_PRICE_SPIKE when even the 10 % minimum would pass the cap: alert, do not bump', () => {
      const atCap = { maxFeePerGas: gwei('280'), maxPriorityFeePerGas: gwei('2') };
      assert.throws(() => bumpFees(atCap, gwei('100'), policy), { code: 'GAS_PRICE_SPIKE' });
    });
  });
});
