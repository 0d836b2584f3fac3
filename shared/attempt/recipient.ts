import { getAddress, isAddress, ZeroAddress } from 'ethers';
import { HostpayError } from '../errors.js';

/**
 * The recipient as a checksummed address (DESIGN.md §4 step 4). Accepts a correctly checksummed or an
 * all-lower-case address; refuses a wrong checksum, anything not 20 bytes of hex, and the zero address.
 */
export function validateRecipient(address: string): string {
  const hex = /^0x[0-9a-fA-F]{40}$/.test(address);
  if (!hex) throw new HostpayError('INVALID_ADDRESS', 'recipient is not a 0x-prefixed 20-byte hex address');
  const lower = address === address.toLowerCase();
  if (!lower && !isAddress(address))
    throw new HostpayError('INVALID_ADDRESS', 'recipient has an invalid checksum');
  const checksummed = getAddress(address.toLowerCase());
  if (!lower && checksummed !== address) {
    throw new HostpayError('INVALID_ADDRESS', 'recipient has an invalid checksum');
  }
  if (checksummed === ZeroAddress) throw new HostpayError('INVALID_ADDRESS', 'recipient is the zero address');
  return checksummed;
}
