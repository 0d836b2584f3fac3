import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HostpayError } from '../../shared/errors.js';
import { decimalFromDouble, formatBaseUnits, toBaseUnits } from '../../shared/money.js';

function assertInvalidAmount(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HostpayError, `expected HostpayError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_AMOUNT');
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

describe('money', () => {
  describe('the amounts the old service got wrong', () => {
    const cases: Array<[number, number, bigint]> = [
      [0.00115340416715763, 18, 1153404167157630n],
      [3.11693635, 6, 3116936n],
      [1.005, 6, 1005000n],
      [3.116936, 6, 3116936n],
      [4.48332809, 18, 4483328090000000000n],
    ];
    for (const [double, decimals, units] of cases) {
      it(`${double} at ${decimals} decimals is ${units} base units, from its shortest decimal form`, () => {
        assert.equal(toBaseUnits(decimalFromDouble(double), decimals), units);
      });
    }

    it('1.005 * 10**6 in floating point would have lost a unit; the decimal path does not', () => {
      assert.equal(Math.floor(1.005 * 10 ** 6), 1004999);
      assert.equal(toBaseUnits(decimalFromDouble(1.005), 6), 1005000n);
    });
  });

  describe('decimalFromDouble', () => {
    const cases: Array<[number, string]> = [
      [1e-7, '0.0000001'],
      [1e-18, '0.000000000000000001'],
      [1.5e-10, '0.00000000015'],
      [-2.5e-8, '-0.000000025'],
      [1.2345e-7, '0.00000012345'],
      [1e21, '1000000000000000000000'],
      [1.5e22, '15000000000000000000000'],
      [123456789.12345679, '123456789.12345679'],
      [Number.MAX_SAFE_INTEGER, '9007199254740991'],
      [5e-324, `0.${'0'.repeat(323)}5`],
      [0.1 + 0.2, '0.30000000000000004'],
      [-0, '0'],
      [42, '42'],
    ];
    for (const [double, decimal] of cases) {
      it(`writes ${String(double)} as ${decimal.length > 40 ? `${decimal.slice(0, 40)}...` : decimal}`, () => {
        assert.equal(decimalFromDouble(double), decimal);
      });
    }

    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      it(`rejects ${String(bad)} as INVALID_AMOUNT`, () => {
        assertInvalidAmount(() => decimalFromDouble(bad), /not a finite number/);
      });
    }

    it('never prints an exponent and always reads back as the same double', () => {
      fc.assert(
        fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
          const decimal = decimalFromDouble(n);
          assert.doesNotMatch(decimal, /e/i);
          assert.ok(Object.is(Number(decimal), n === 0 ? 0 : n), `${decimal} does not read back as ${n}`);
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('toBaseUnits', () => {
    const cases: Array<[string, number, bigint]> = [
      ['1', 18, 10n ** 18n],
      ['0.000000000000000001', 18, 1n],
      ['0.0000000000000000019', 18, 1n],
      ['123456789.123456789012345678', 18, 123456789123456789012345678n],
      ['123456789.123456789012345678999', 18, 123456789123456789012345678n],
      ['9007199254740991', 18, 9007199254740991n * 10n ** 18n],
      ['007.50', 6, 7500000n],
      ['1.9999999', 6, 1999999n],
      ['5', 0, 5n],
      ['5.99', 0, 5n],
      [`1${'0'.repeat(77)}`, 0, 10n ** 77n],
      [`0.${'0'.repeat(17)}1${'9'.repeat(59)}`, 18, 1n],
    ];
    for (const [decimal, decimals, units] of cases) {
      it(`rounds ${decimal.length > 40 ? `${decimal.slice(0, 40)}...` : decimal} down to ${units} at ${decimals} decimals`, () => {
        assert.equal(toBaseUnits(decimal, decimals), units);
      });
    }

    const rejections: Array<[string, string, number, RegExp]> = [
      ['zero', '0', 6, /is zero/],
      ['zero with decimals', '0.000', 6, /is zero/],
      ['1e-7 at 6 decimals', '0.0000001', 6, /rounds down to zero at 6 decimals/],
      ['1e-19 at 18 decimals', '0.0000000000000000001', 18, /rounds down to zero/],
      ['a negative amount', '-1', 6, /is negative/],
      ['a negative fraction', '-0.5', 6, /is negative/],
      ['an exponent form', '1e-7', 6, /exponent form/],
      ['an upper-case exponent', '1E5', 6, /exponent form/],
      ['an empty string', '', 6, /empty/],
      ['a plus sign', '+1', 6, /not a plain decimal/],
      ['surrounding spaces', ' 1', 6, /not a plain decimal/],
      ['a bare point', '.5', 6, /not a plain decimal/],
      ['a trailing point', '1.', 6, /not a plain decimal/],
      ['two points', '1.2.3', 6, /not a plain decimal/],
      ['a comma', '1,5', 6, /not a plain decimal/],
      ['hex', '0x10', 6, /not a plain decimal/],
      ['NaN text', 'NaN', 6, /not a plain decimal/],
      ['Infinity text', 'Infinity', 6, /not a plain decimal/],
      ['79 digits', `1${'0'.repeat(78)}`, 0, /more than 78 digits/],
      ['79 digits with a fraction', `1.${'0'.repeat(77)}1`, 18, /more than 78 digits/],
      ['5e-324 written out', decimalFromDouble(5e-324), 18, /more than 78 digits/],
      ['more than a uint256', '9'.repeat(78), 0, /256 bits/],
      ['78 digits that overflow with decimals', '9'.repeat(60), 18, /256 bits/],
    ];
    for (const [name, decimal, decimals, message] of rejections) {
      it(`rejects ${name} as INVALID_AMOUNT`, () => {
        assertInvalidAmount(() => toBaseUnits(decimal, decimals), message);
      });
    }

    it('rejects a decimals count that is not an integer from 0 to 78', () => {
      assert.throws(() => toBaseUnits('1', -1), RangeError);
      assert.throws(() => toBaseUnits('1', 1.5), RangeError);
      assert.throws(() => toBaseUnits('1', 79), RangeError);
    });

    it('quotes at most 40 characters of a bad amount in the message', () => {
      assertInvalidAmount(() => toBaseUnits(`x${'1'.repeat(500)}`, 6), /^amount "x1{39}\.\.\." is not/);
    });
  });

  describe('formatBaseUnits', () => {
    const cases: Array<[bigint, number, string]> = [
      [1005000n, 6, '1.005'],
      [3116936n, 6, '3.116936'],
      [1153404167157630n, 18, '0.00115340416715763'],
      [1n, 18, '0.000000000000000001'],
      [10n ** 18n, 18, '1'],
      [0n, 18, '0'],
      [0n, 0, '0'],
      [42n, 0, '42'],
      [-1500000n, 6, '-1.5'],
      [
        (1n << 256n) - 1n,
        18,
        '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
      ],
    ];
    for (const [units, decimals, decimal] of cases) {
      it(`writes ${units} at ${decimals} decimals as ${decimal}`, () => {
        assert.equal(formatBaseUnits(units, decimals), decimal);
      });
    }
  });

  describe('round trip', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

    it('formatBaseUnits(toBaseUnits(s, d), d) is s truncated to d decimals, for random decimal strings', () => {
      fc.assert(
        fc.property(
          digits(1, 30),
          fc.option(digits(1, 40), { nil: undefined }),
          fc.nat(36),
          (int, frac, d) => {
            const s = frac === undefined ? int : `${int}.${frac}`;
            // The expected value, written independently of the code under test: cut, then normalise.
            const cutInt = int.replace(/^0+(?=\d)/, '');
            const cutFrac = (frac ?? '').slice(0, d).replace(/0+$/, '');
            const expected = cutFrac === '' ? cutInt : `${cutInt}.${cutFrac}`;
            if (expected === '0') {
              assert.throws(() => toBaseUnits(s, d), HostpayError);
              return;
            }
            assert.equal(formatBaseUnits(toBaseUnits(s, d), d), expected);
          },
        ),
        { numRuns: 3000 },
      );
    });

    it('toBaseUnits(formatBaseUnits(u, d), d) is u for any positive uint256', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }), fc.nat(18), (units, d) => {
          assert.equal(toBaseUnits(formatBaseUnits(units, d), d), units);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
