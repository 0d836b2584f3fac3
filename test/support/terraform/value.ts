/** Values of the offline Terraform evaluator: known, unknown until apply, or a resource. */
import type { TerraformBlock } from './load.js';

/** A value known only after apply; `text` is the expression it stands for. */
export class Unknown {
  constructor(
    readonly text: string,
    readonly nullable = false,
  ) {}
}

/** A resource or data source, or one instance of it, used as a value. */
export class ResourceRef {
  constructor(
    readonly address: string,
    readonly block: TerraformBlock,
    readonly key: string | number | undefined,
  ) {}

  get instanceAddress(): string {
    if (this.key === undefined) return this.address;
    return `${this.address}[${JSON.stringify(this.key)}]`;
  }
}

export type Value =
  | null
  | string
  | number
  | boolean
  | Unknown
  | ResourceRef
  | Value[]
  | { [key: string]: Value };

export const SET = Symbol('terraform set');

/** Terraform evaluation failed the way `terraform plan` would (missing key, cycle, bad type). */
export class TerraformEvalError extends Error {}

export const isRecord = (v: Value): v is { [key: string]: Value } =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Unknown) &&
  !(v instanceof ResourceRef);

export const isSet = (v: Value): boolean =>
  Array.isArray(v) && (v as unknown as { [SET]?: boolean })[SET] === true;

export function makeSet(items: Value[]): Value[] {
  const unique: Value[] = [];
  for (const item of items) if (!unique.some((u) => sameValue(u, item) === true)) unique.push(item);
  unique.sort((a, b) => (typeof a === 'string' && typeof b === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : 0));
  return Object.assign(unique, { [SET]: true });
}

/** Equality; undefined when it cannot be told before apply. */
export function sameValue(a: Value, b: Value): boolean | undefined {
  if (a instanceof Unknown || b instanceof Unknown) {
    if (a instanceof Unknown && b instanceof Unknown && a.text === b.text) return true;
    if (
      (a === null && b instanceof Unknown && !b.nullable) ||
      (b === null && a instanceof Unknown && !a.nullable)
    ) {
      return false;
    }
    return undefined;
  }
  if (a instanceof ResourceRef || b instanceof ResourceRef) {
    return a instanceof ResourceRef && b instanceof ResourceRef && a.instanceAddress === b.instanceAddress;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    let all: boolean | undefined = true;
    for (let i = 0; i < a.length; i++) {
      const same = sameValue(a[i] as Value, b[i] as Value);
      if (same === false) return false;
      if (same === undefined) all = undefined;
    }
    return all;
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    let all: boolean | undefined = true;
    for (const key of keys) {
      if (!(key in b)) return false;
      const same = sameValue(a[key] as Value, b[key] as Value);
      if (same === false) return false;
      if (same === undefined) all = undefined;
    }
    return all;
  }
  return a === b;
}

/** Source text of a value, for messages and for the text of derived unknowns. */
export function describe(v: Value): string {
  if (v instanceof Unknown) return `(known after apply: ${v.text})`;
  if (v instanceof ResourceRef) return v.instanceAddress;
  return JSON.stringify(v, (_k, inner) => (inner instanceof Unknown ? `\${${inner.text}}` : inner));
}

export function interpolationText(v: Value): string {
  if (v instanceof Unknown) return `\${${v.text}}`;
  if (typeof v === 'string') return v.replaceAll('${', '$${');
  return String(v);
}

export function toNumber(v: Value, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new TerraformEvalError(`${what}: expected a number, got ${describe(v)}`);
}

export function toBool(v: Value, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new TerraformEvalError(`${what}: expected a bool, got ${describe(v)}`);
}

export function toText(v: Value, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TerraformEvalError(`${what}: expected a string, got ${describe(v)}`);
}

/** Stable JSON as Terraform's jsonencode writes it (object keys sorted). */
export function jsonencode(v: Value): string | Unknown {
  if (containsUnknown(v)) return new Unknown(`jsonencode(${describe(v)})`);
  const sorted = (x: Value): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (isRecord(x))
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sorted(x[k] as Value)]),
      );
    return x;
  };
  return JSON.stringify(sorted(v));
}

export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown || v instanceof ResourceRef) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isRecord(v)) return Object.values(v).some(containsUnknown);
  return false;
}
