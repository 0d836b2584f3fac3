/** An operator request refused with the facts an operator needs to act on it (docs/architecture.md, "The flow"). */
import { RequestError } from '../http/requestError.js';

/** A RequestError whose `details` (e.g. both statuses of a refused transition) go into the answer. */
export class Refusal extends RequestError {
  constructor(
    status: number,
    reason: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(status, reason, message);
  }
}
