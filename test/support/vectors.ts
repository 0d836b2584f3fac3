/** The upstream's vectors: the committed copy, which a test keeps equal to `../shared/vectors` when present. */
import { readFileSync } from 'node:fs';

export const VECTORS_DIR = new URL('../fixtures/vectors/', import.meta.url);
export const SHARED_VECTORS_DIR = new URL('../../../shared/vectors/', import.meta.url);

export function readVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, VECTORS_DIR), 'utf8')) as T;
}
