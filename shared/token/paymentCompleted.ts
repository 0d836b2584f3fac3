/** Payment completed (hostpay → HostPay1 `/payment-completed`), vectors `hp3_to_hp1_response_vector`. */
import * as v from 'valibot';
import { TokenReader, TokenWriter } from './binary.js';
import { type DecodeOptions, seal, unwrap } from './signing.js';
import { verifyFields } from './verifyFields.js';

/** The fields as HostPay1 decodes them; `gas_used` and `block_number` are u64 read as safe integers. */
export const PaymentCompletedSchema = v.object({
  unique_id: v.pipe(v.string(), v.minLength(1, 'unique_id is empty')),
  cn_api_id: v.string(),
  tx_hash: v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{64}$/, 'tx_hash is not 0x + 64 hex')),
  tx_status: v.string(),
  gas_used: v.pipe(v.number(), v.safeInteger()),
  block_number: v.pipe(v.number(), v.safeInteger()),
  timestamp: v.pipe(v.number(), v.integer()),
});

export type PaymentCompleted = v.InferOutput<typeof PaymentCompletedSchema>;

/** What the encoder takes: the timestamp comes from `now`; chain numbers may be bigint. */
export type PaymentCompletedInput = Omit<PaymentCompleted, 'timestamp' | 'gas_used' | 'block_number'> & {
  gas_used: bigint | number;
  block_number: bigint | number;
};

/** Writes the payment-completed token HostPay1 decodes (docs/tokens.md). */
export function encodePaymentCompleted(
  fields: PaymentCompletedInput,
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

/** Reads a payment-completed token as HostPay1 does (tests and the local upstream recorder). */
export function decodePaymentCompleted(token: string, options: DecodeOptions): PaymentCompleted {
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
  return verifyFields('payment_completed', raw, r, fields, PaymentCompletedSchema, options);
}
