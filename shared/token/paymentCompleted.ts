/** Payment completed (hostpay → HostPay1 `/payment-completed`), vectors `hp3_to_hp1_response_vector`. */
import * as v from 'valibot';
import { HostpayError } from '../errors.js';
import { TokenReader, TokenWriter } from './binary.js';
import { checkSignature, type Freshness, isFresh, type SigningKeys, seal, unwrap } from './signing.js';

export const PaymentCompletedSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1)),
  cn_api_id: v.string(),
  tx_hash: v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{64}$/, 'tx_hash is not 0x + 64 hex')),
  tx_status: v.string(),
  gas_used: v.number(),
  block_number: v.number(),
  timestamp: v.number(),
});

export type PaymentCompleted = v.InferOutput<typeof PaymentCompletedSchema>;

export function encodePaymentCompleted(
  fields: Omit<PaymentCompleted, 'timestamp' | 'gas_used' | 'block_number'> & {
    gas_used: bigint | number;
    block_number: bigint | number;
  },
  options: { key: string; now: number },
): string {
  const payload = new TokenWriter()
    .str(fields.unique_id)
    .str(fields.cn_api_id)
    .str(fields.tx_hash)
    .str(fields.tx_status)
    .u64(fields.gas_used)
    .u64(fields.block_number)
    .u32(options.now)
    .bytes();
  return seal(payload, options.key);
}

/** Reads a payment-completed token as HostPay1 does (used by tests and the local upstream). */
export function decodePaymentCompleted(
  token: string,
  options: { keys: SigningKeys; freshness: Freshness | null },
): PaymentCompleted {
  const raw = unwrap(token);
  const r = new TokenReader(raw);
  const fields = {
    unique_id: r.str('unique_id'),
    cn_api_id: r.str('cn_api_id'),
    tx_hash: r.str('tx_hash'),
    tx_status: r.str('tx_status'),
    gas_used: Number(r.u64('gas_used')),
    block_number: Number(r.u64('block_number')),
    timestamp: r.u32('timestamp'),
  };
  checkSignature(raw, r.position, options.keys);
  const parsed = v.safeParse(PaymentCompletedSchema, fields);
  if (!parsed.success)
    throw new HostpayError('TOKEN_MALFORMED', `token fields invalid: ${parsed.issues[0].message}`);
  if (options.freshness !== null && !isFresh(fields.timestamp, options.freshness)) {
    throw new HostpayError('TOKEN_EXPIRED', 'token timestamp is outside the freshness window');
  }
  return parsed.output;
}
