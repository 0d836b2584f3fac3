import assert from 'node:assert/strict';
import { validateRecipient } from '../../../shared/chain/recipient.js';

describe('chain validateRecipient', () => {
  const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  const accepted = [
    { name: 'EIP-55 checksummed', input: checksummed, output: checksummed },
    { name: 'all lower case', input: checksummed.toLowerCase(), output: checksummed },
    {
      name: 'digits only',
      input: '0x1234567890123456789012345678901234567890',
      output: '0x1234567890123456789012345678901234567890',
    },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name} and returns the checksummed form`, () => {
      assert.equal(validateRecipient(c.input), c.output);
    });
  }

  const refused = [
    { name: 'a wrong checksum', input: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' },
    { name: 'all upper case', input: '0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED' },
    { name: 'the zero address', input: '0x0000000000000000000000000000000000000000' },
    { name: 'a 19-byte address', input: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea' },
    { name: 'a 21-byte address', input: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00' },
    { name: 'a missing 0x', input: '5aaeb6053f3e94c9b9a09f33669435e7ef1beaed' },
    { name: 'an upper-case 0X', input: '0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed' },
    { name: 'a non-hex digit', input: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg' },
    { name: 'surrounding spaces', input: ' 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed ' },
    { name: 'an ENS name', input: 'hostpay.eth' },
    { name: 'an ICAP address', input: 'XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS' },
    { name: 'an empty string', input: '' },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} as INVALID_ADDRESS`, () => {
      assert.throws(() => validateRecipient(c.input), { name: 'HostpayError', code: 'INVALID_ADDRESS' });
    });
  }
});
