/**
 * A request refused: the HTTP status, a short reason, a message safe to return, and optional details an
 * operator needs to act on it (e.g. both statuses of a refused transition). The one refusal type.
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The JSON body the refusal answers with. */
  toBody(): Record<string, string> {
    return { error: this.reason, message: this.message, ...this.details };
  }
}
