/** The common end of every decoder: signature, then text, then schema, then freshness (docs/architecture.md, "The flow"; docs/tokens.md). */
import * as v from 'valibot';
import { HostpayError } from '../errors.js';
import type { TokenReader } from './binary.js';
import { checkSignature, type DecodeOptions, isFresh } from './signing.js';

export type TokenLayout = 'payment_request' | 'payment_completed' | 'payment_failed';

/**
 * TOKEN_EXPIRED for a token whose signature is valid: `fields` holds what it says, so the caller can record
 * the request as a failure instead of dropping it (docs/architecture.md, "Invariants and where they are enforced").
 */
export class TokenExpiredError<T> extends HostpayError {
  readonly layout: TokenLayout;
  readonly fields: T;

  constructor(layout: TokenLayout, fields: T, details: Record<string, unknown>) {
    super('TOKEN_EXPIRED', 'token timestamp is outside the freshness window', { details });
    this.layout = layout;
    this.fields = fields;
  }
}

/**
 * Checks a parsed token in the order that keeps forgeries apart from bad contents: signature (any change is
 * TOKEN_BAD_SIGNATURE), then UTF-8 and the schema (TOKEN_MALFORMED), then the window (TokenExpiredError).
 */
export function verifyFields<T extends { timestamp: number }>(
  layout: TokenLayout,
  raw: Buffer,
  reader: TokenReader,
  fields: unknown,
  schema: v.GenericSchema<unknown, T>,
  options: DecodeOptions,
  expiredDetails: (fields: T) => Record<string, unknown> = () => ({}),
): T {
  checkSignature(raw, reader.position, options.keys);
  reader.checkText();
  const parsed = v.safeParse(schema, fields);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = issue.path?.map((item) => String(item.key)).join('.') ?? 'token';
    throw new HostpayError('TOKEN_MALFORMED', `token field ${field} invalid: ${issue.message}`);
  }
  const output = parsed.output;
  if (options.freshness !== null && !isFresh(output.timestamp, options.freshness)) {
    throw new TokenExpiredError(layout, output, { timestamp: output.timestamp, ...expiredDetails(output) });
  }
  return output;
}
