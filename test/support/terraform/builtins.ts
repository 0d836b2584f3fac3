/** Terraform's built-in functions, as far as the offline checks need them. */
import {
  describe,
  isRecord,
  jsonencode,
  makeSet,
  sameValue,
  TerraformEvalError,
  toBool,
  toNumber,
  toText,
  Unknown,
  type Value,
} from './value.js';

export type TerraformFunction = (args: Value[], text: string) => Value;

const list = (v: Value, text: string): Value[] => {
  if (Array.isArray(v)) return v;
  throw new TerraformEvalError(`${text}: expected a list, got ${describe(v)}`);
};

const record = (v: Value, text: string): { [key: string]: Value } => {
  if (isRecord(v)) return v;
  throw new TerraformEvalError(`${text}: expected a map or object, got ${describe(v)}`);
};

const anyUnknown = (args: Value[]): boolean => args.some((a) => a instanceof Unknown);

/** Built-ins by name; any other function evaluates to an unknown value. */
export const BUILTINS: Readonly<Record<string, TerraformFunction>> = {
  merge: (args, text) => {
    if (anyUnknown(args)) return new Unknown(text);
    return Object.assign({}, ...args.filter((a) => a !== null).map((a) => record(a, text)));
  },
  contains: ([collection, item], text) => {
    if (collection instanceof Unknown) return new Unknown(text);
    const found = list(collection ?? null, text).map((c) => sameValue(c, item ?? null));
    if (found.includes(true)) return true;
    return found.includes(undefined) ? new Unknown(text) : false;
  },
  keys: ([m], text) =>
    m instanceof Unknown ? new Unknown(text) : Object.keys(record(m ?? null, text)).sort(),
  values: ([m], text) => {
    if (m instanceof Unknown) return new Unknown(text);
    const r = record(m ?? null, text);
    return Object.keys(r)
      .sort()
      .map((k) => r[k] as Value);
  },
  lookup: ([m, key, fallback], text) => {
    if (m instanceof Unknown || key instanceof Unknown) return new Unknown(text);
    const r = record(m ?? null, text);
    const k = toText(key ?? null, text);
    if (Object.hasOwn(r, k)) return r[k] as Value;
    if (fallback === undefined) throw new TerraformEvalError(`${text}: no key ${JSON.stringify(k)}`);
    return fallback;
  },
  length: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    return Object.keys(record(v ?? null, text)).length;
  },
  concat: (args, text) => (anyUnknown(args) ? new Unknown(text) : args.flatMap((a) => list(a, text))),
  flatten: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    const flat = (x: Value): Value[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
    return flat(list(v ?? null, text));
  },
  distinct: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    const out: Value[] = [];
    for (const item of list(v ?? null, text))
      if (!out.some((o) => sameValue(o, item) === true)) out.push(item);
    return out;
  },
  toset: ([v], text) => (v instanceof Unknown ? new Unknown(text) : makeSet(list(v ?? null, text))),
  tolist: ([v], text) => (v instanceof Unknown ? new Unknown(text) : [...list(v ?? null, text)]),
  tomap: ([v], text) => (v instanceof Unknown ? new Unknown(text) : record(v ?? null, text)),
  tostring: ([v], text) => (v instanceof Unknown || v === null ? (v ?? null) : toText(v ?? null, text)),
  tonumber: ([v], text) => (v instanceof Unknown || v === null ? (v ?? null) : toNumber(v ?? null, text)),
  jsonencode: ([v]) => jsonencode(v ?? null),
  base64encode: ([v], text) =>
    v instanceof Unknown ? new Unknown(text) : Buffer.from(toText(v ?? null, text)).toString('base64'),
  coalesce: (args, text) => {
    for (const a of args) {
      if (a instanceof Unknown) return new Unknown(text);
      if (a !== null && a !== '') return a;
    }
    throw new TerraformEvalError(`${text}: no non-null, non-empty argument`);
  },
  compact: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    return list(v ?? null, text).filter((x) => x !== null && x !== '');
  },
  join: ([sep, v], text) => {
    if (sep instanceof Unknown || v instanceof Unknown) return new Unknown(text);
    const items = list(v ?? null, text);
    if (anyUnknown(items)) return new Unknown(text);
    return items.map((i) => toText(i, text)).join(toText(sep ?? null, text));
  },
  split: ([sep, v], text) => {
    if (sep instanceof Unknown || v instanceof Unknown) return new Unknown(text);
    return toText(v ?? null, text).split(toText(sep ?? null, text));
  },
  startswith: ([v, p], text) =>
    v instanceof Unknown || p instanceof Unknown
      ? new Unknown(text)
      : toText(v ?? null, text).startsWith(toText(p ?? null, text)),
  endswith: ([v, s], text) =>
    v instanceof Unknown || s instanceof Unknown
      ? new Unknown(text)
      : toText(v ?? null, text).endsWith(toText(s ?? null, text)),
  lower: ([v], text) => (v instanceof Unknown ? new Unknown(text) : toText(v ?? null, text).toLowerCase()),
  upper: ([v], text) => (v instanceof Unknown ? new Unknown(text) : toText(v ?? null, text).toUpperCase()),
  trimspace: ([v], text) => (v instanceof Unknown ? new Unknown(text) : toText(v ?? null, text).trim()),
  alltrue: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    const items = list(v ?? null, text);
    if (items.some((i) => i === false)) return false;
    return anyUnknown(items) ? new Unknown(text) : items.every((i) => toBool(i, text));
  },
  anytrue: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    const items = list(v ?? null, text);
    if (items.some((i) => i === true)) return true;
    return anyUnknown(items) ? new Unknown(text) : false;
  },
  floor: ([v], text) => (v instanceof Unknown ? new Unknown(text) : Math.floor(toNumber(v ?? null, text))),
  max: (args, text) =>
    anyUnknown(args) ? new Unknown(text) : Math.max(...args.map((a) => toNumber(a, text))),
  min: (args, text) =>
    anyUnknown(args) ? new Unknown(text) : Math.min(...args.map((a) => toNumber(a, text))),
  // Terraform uses RE2; the patterns in terraform/ mean the same in JavaScript.
  regex: ([pattern, v], text) => {
    if (pattern instanceof Unknown || v instanceof Unknown) return new Unknown(text);
    const match = new RegExp(toText(pattern ?? null, text)).exec(toText(v ?? null, text));
    if (!match) throw new TerraformEvalError(`${text}: no match`);
    if (match.length === 1) return match[0];
    return match.slice(1).map((g) => g ?? null);
  },
  regexall: ([pattern, v], text) => {
    if (pattern instanceof Unknown || v instanceof Unknown) return new Unknown(text);
    const matches = [...toText(v ?? null, text).matchAll(new RegExp(toText(pattern ?? null, text), 'g'))];
    return matches.map((m) => (m.length === 1 ? m[0] : m.slice(1).map((g) => g ?? null)));
  },
  sum: ([v], text) => {
    if (v instanceof Unknown) return new Unknown(text);
    const items = list(v ?? null, text);
    if (items.length === 0) throw new TerraformEvalError(`${text}: sum of an empty list`);
    if (anyUnknown(items)) return new Unknown(text);
    return items.reduce<number>((total, item) => total + toNumber(item, text), 0);
  },
  slice: ([v, start, end], text) => {
    if (anyUnknown([v ?? null, start ?? null, end ?? null])) return new Unknown(text);
    const items = list(v ?? null, text);
    const from = toNumber(start ?? null, text);
    const to = toNumber(end ?? null, text);
    if (from < 0 || to > items.length || from > to)
      throw new TerraformEvalError(`${text}: slice ${from}..${to} out of range of ${items.length}`);
    return items.slice(from, to);
  },
  trimsuffix: ([v, suffix], text) => {
    if (v instanceof Unknown || suffix instanceof Unknown) return new Unknown(text);
    const s = toText(v ?? null, text);
    const x = toText(suffix ?? null, text);
    return x !== '' && s.endsWith(x) ? s.slice(0, -x.length) : s;
  },
  zipmap: ([k, v], text) => {
    if (k instanceof Unknown || v instanceof Unknown) return new Unknown(text);
    const ks = list(k ?? null, text);
    const vs = list(v ?? null, text);
    return Object.fromEntries(ks.map((key, i) => [toText(key, text), vs[i] ?? null]));
  },
};
