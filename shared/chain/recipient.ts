/** The recipient check of an attempt (docs/architecture.md, "The flow"). */
import { getAddress, ZeroAddress } from 'ethers';
import { HostpayError } from '../errors.js';

/**
 * The recipient as a checksummed address. Accepts a correctly checksummed (EIP-55) or an all-lower-case
 * address; refuses a wrong checksum, an all-upper-case body, anything but `0x` and 40 hex digits, and the
 * zero address, each as INVALID_ADDRESS.
 */
export function validateRecipient(address: string): string {
  if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new HostpayError('INVALID_ADDRESS', 'recipient is not 0x followed by 40 hex digits');
  }
  const checksummed = getAddress(address.toLowerCase());
  if (address !== address.toLowerCase() && address !== checksummed) {
    throw new HostpayError('INVALID_ADDRESS', 'recipient has a wrong EIP-55 checksum', {
      details: { recipient: address },
    });
  }
  if (checksummed === ZeroAddress) throw new HostpayError('INVALID_ADDRESS', 'recipient is the zero address');
  return checksummed;
}
