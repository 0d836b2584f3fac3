/** Deterministic Cloud Tasks task ids, so a repeated enqueue is refused as a duplicate (docs/architecture.md, "The flow"; docs/tokens.md). */
import { createHash } from 'node:crypto';

/** Cloud Tasks task ids: letters, digits, `-` and `_`, at most 500 characters. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,500}$/;

const PURPOSE_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * The task id for one piece of work: 40 hex digits of SHA-256 over purpose, unique_id and attempt, then
 * the purpose for readers. The hash comes first because Cloud Tasks slows down on ids sharing a prefix.
 */
export function taskName(purpose: string, uniqueId: string, attempt: number): string {
  if (!PURPOSE_PATTERN.test(purpose))
    throw new TypeError(`task purpose must match ${PURPOSE_PATTERN}: ${purpose}`);
  if (uniqueId === '') throw new TypeError('task uniqueId must not be empty');
  if (!Number.isSafeInteger(attempt) || attempt < 0)
    throw new TypeError(`task attempt must be an integer >= 0`);
  // JSON keeps the three parts apart: ('a', 'b-1') and ('a-b', '1') hash differently.
  const digest = createHash('sha256')
    .update(JSON.stringify([purpose, uniqueId, attempt]))
    .digest('hex');
  return `${digest.slice(0, 40)}-${purpose}`;
}
