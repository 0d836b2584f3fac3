/**
 * A small evaluator for the Terraform expressions the offline checks need: locals,
 * variables (tfvars, then defaults, then optional() attribute defaults), for_each instances, the
 * arguments of other resources, and the common functions. What cannot be known before apply (computed
 * attributes, unimplemented functions) becomes an `Unknown` that remembers its source text, so two
 * references to the same attribute still compare equal.
 */
import { getExpressionAst } from '@cdktf/hcl2json';
import { BUILTINS } from './builtins.js';
import type { TerraformBlock, TerraformModule } from './load.js';
import {
  describe,
  interpolationText,
  isRecord,
  isSet,
  ResourceRef,
  sameValue,
  TerraformEvalError,
  toBool,
  toNumber,
  toText,
  Unknown,
  type Value,
} from './value.js';

interface Node {
  type: string;
  meta?: Record<string, unknown>;
  children?: Node[];
}

export interface Scope {
  readonly names: ReadonlyMap<string, Value>;
  readonly each?: { readonly key: Value; readonly value: Value };
  readonly count?: number;
}

export const EMPTY_SCOPE: Scope = { names: new Map() };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** String literal parts of parsed expressions keep their HCL escapes (`\\s`, `\"`, `$${`): decode them. */
export function decodeStringLiteral(raw: string): string {
  return raw.replace(
    /\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{/g,
    (match, sequence: string | undefined) => {
      if (match === '$${') return '${';
      if (match === '%%{') return '%{';
      if (sequence === undefined) return match;
      if (sequence.length > 1) return String.fromCodePoint(Number.parseInt(sequence.slice(1), 16));
      return ESCAPES[sequence] ?? match;
    },
  );
}

/** Splits a template as hcl2json renders it into literal text and `${...}` expression parts. */
export function splitTemplate(text: string): ({ literal: string } | { expression: string })[] {
  const parts: ({ literal: string } | { expression: string })[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      let depth = 0;
      let quote = false;
      let j = i + 2;
      for (; j < text.length; j++) {
        const ch = text[j];
        if (quote) {
          if (ch === '\\') j++;
          else if (ch === '"') quote = false;
        } else if (ch === '"') quote = true;
        else if (ch === '{') depth++;
        else if (ch === '}') {
          if (depth === 0) break;
          depth--;
        }
      }
      if (j >= text.length)
        throw new TerraformEvalError(`unterminated interpolation in ${JSON.stringify(text)}`);
      if (literal !== '') parts.push({ literal });
      literal = '';
      parts.push({ expression: text.slice(i + 2, j) });
      i = j + 1;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal !== '' || parts.length === 0) parts.push({ literal });
  return parts;
}

/** Evaluates expressions of one parsed module. */
export class Evaluator {
  private readonly asts = new Map<string, Promise<Node>>();
  private readonly locals = new Map<string, Promise<Value>>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly module: TerraformModule,
    private readonly variableValues: Readonly<Record<string, unknown>> = {},
  ) {}

  /** Evaluates a value as hcl2json returned it: strings may be templates, objects hold expressions. */
  async raw(value: unknown, scope: Scope = EMPTY_SCOPE): Promise<Value> {
    if (typeof value === 'string') return this.template(value, scope);
    if (Array.isArray(value)) {
      const out: Value[] = [];
      for (const item of value) out.push(await this.raw(item, scope));
      return out;
    }
    if (typeof value === 'object' && value !== null) {
      const out: { [key: string]: Value } = {};
      for (const [key, item] of Object.entries(value)) out[key] = await this.raw(item, scope);
      return out;
    }
    return (value ?? null) as Value;
  }

  async template(text: string, scope: Scope): Promise<Value> {
    const parts = splitTemplate(text);
    if (parts.length === 1 && 'expression' in parts[0]!) return this.expression(parts[0].expression, scope);
    const values: Value[] = [];
    for (const p of parts)
      values.push('literal' in p ? p.literal : await this.expression(p.expression, scope));
    return this.concat(values, text);
  }

  private concat(values: Value[], text: string): Value {
    if (values.some((v) => v instanceof Unknown || v instanceof ResourceRef)) {
      return new Unknown(
        values.map((v) => (v instanceof ResourceRef ? v.instanceAddress : interpolationText(v))).join(''),
      );
    }
    return values.map((v) => toText(v, `template ${JSON.stringify(text)}`)).join('');
  }

  async expression(text: string, scope: Scope = EMPTY_SCOPE): Promise<Value> {
    let ast = this.asts.get(text);
    if (!ast) {
      ast = getExpressionAst('expression.tf', text).then((node) => {
        if (!node) throw new TerraformEvalError(`cannot parse expression ${text}`);
        return node as unknown as Node;
      });
      this.asts.set(text, ast);
    }
    return this.node(await ast, scope);
  }

  async local(name: string): Promise<Value> {
    const found = this.module.locals.get(name);
    if (!found) throw new TerraformEvalError(`local.${name} is not declared`);
    const key = `local.${name}`;
    // Evaluation is strictly sequential, so `resolving` is the chain being evaluated right now.
    if (this.resolving.has(key)) throw new TerraformEvalError(`${key} refers to itself`);
    let value = this.locals.get(name);
    if (!value) {
      this.resolving.add(key);
      value = this.raw(found.value).finally(() => this.resolving.delete(key));
      this.locals.set(name, value);
    }
    return value;
  }

  async variable(name: string): Promise<Value> {
    const block = this.module.variables.get(name);
    if (!block) throw new TerraformEvalError(`var.${name} is not declared`);
    const given = Object.hasOwn(this.variableValues, name) ? this.variableValues[name] : block.body.default;
    const typeText = typeof block.body.type === 'string' ? block.body.type : undefined;
    if (given === undefined) return new Unknown(`var.${name}`, true);
    const value = (await this.raw(given)) as Value;
    return typeText === undefined ? value : this.applyTypeDefaults(typeText, value);
  }

  /** Fills optional(type, default) attributes of object types, as Terraform does for variables. */
  private async applyTypeDefaults(typeText: string, value: Value): Promise<Value> {
    const inner = typeText.startsWith('${') && typeText.endsWith('}') ? typeText.slice(2, -1) : typeText;
    const ast = (await getExpressionAst('type.tf', inner)) as unknown as Node | null;
    return ast ? this.fillDefaults(ast, value) : value;
  }

  private async fillDefaults(type: Node, value: Value): Promise<Value> {
    if (type.type !== 'function' || value === null || value instanceof Unknown) return value;
    const name = type.meta?.name;
    const args = type.children ?? [];
    if ((name === 'map' || name === 'list' || name === 'set') && args[0]) {
      if (Array.isArray(value)) {
        const out: Value[] = [];
        for (const v of value) out.push(await this.fillDefaults(args[0], v));
        return out;
      }
      if (isRecord(value)) {
        const out: { [key: string]: Value } = {};
        for (const [k, v] of Object.entries(value)) out[k] = await this.fillDefaults(args[0], v);
        return out;
      }
      return value;
    }
    if (name !== 'object' || args[0]?.type !== 'object' || !isRecord(value)) return value;
    const items = (args[0].meta?.items ?? {}) as Record<string, string>;
    const out: { [key: string]: Value } = { ...value };
    for (const [rawKey, attrType] of Object.entries(items)) {
      const key = rawKey.replace(/^"(.*)"$/, '$1');
      const ast = (await getExpressionAst('type.tf', attrType)) as unknown as Node | null;
      if (!ast) continue;
      const optional = ast.type === 'function' && ast.meta?.name === 'optional';
      const attrNode = optional ? ast.children?.[0] : ast;
      if (!(key in out) || out[key] === null) {
        const fallback = optional && ast.children?.[1] ? await this.node(ast.children[1], EMPTY_SCOPE) : null;
        out[key] = fallback;
      }
      if (attrNode) out[key] = await this.fillDefaults(attrNode, out[key] as Value);
    }
    return out;
  }

  /** Every instance of a resource or data source with the scope its arguments are evaluated in. */
  async instances(block: TerraformBlock): Promise<{ key: string | number | undefined; scope: Scope }[]> {
    if (block.body.for_each !== undefined) {
      const collection = await this.raw(block.body.for_each);
      if (collection instanceof Unknown || collection instanceof ResourceRef) {
        throw new TerraformEvalError(
          `${block.address}: for_each is not known before apply (${describe(collection)})`,
        );
      }
      if (isSet(collection)) {
        return (collection as Value[]).map((item) => ({
          key: toText(item, `${block.address} for_each`),
          scope: { names: new Map(), each: { key: item, value: item } },
        }));
      }
      if (isRecord(collection)) {
        return Object.keys(collection)
          .sort()
          .map((key) => ({
            key,
            scope: { names: new Map(), each: { key, value: collection[key] as Value } },
          }));
      }
      throw new TerraformEvalError(
        `${block.address}: for_each must be a map or a set, got ${describe(collection)}`,
      );
    }
    if (block.body.count !== undefined) {
      const count = toNumber(await this.raw(block.body.count), `${block.address} count`);
      return Array.from({ length: count }, (_, index) => ({
        key: index,
        scope: { names: new Map(), count: index },
      }));
    }
    return [{ key: undefined, scope: EMPTY_SCOPE }];
  }

  /** The value of one argument of one resource instance; computed or unset attributes are unknown. */
  async attribute(ref: ResourceRef, name: string): Promise<Value> {
    const multi = ref.block.body.for_each !== undefined || ref.block.body.count !== undefined;
    if (multi && ref.key === undefined) {
      throw new TerraformEvalError(`${ref.address} has several instances: pick one before reading .${name}`);
    }
    if (!Object.hasOwn(ref.block.body, name) || name === 'dynamic') {
      return new Unknown(`${ref.instanceAddress}.${name}`);
    }
    const instance = (await this.instances(ref.block)).find((i) => i.key === ref.key);
    if (!instance) throw new TerraformEvalError(`${ref.instanceAddress} does not exist`);
    const key = `${ref.instanceAddress}.${name}`;
    if (this.resolving.has(key)) throw new TerraformEvalError(`${key} refers to itself`);
    this.resolving.add(key);
    try {
      return await this.raw(ref.block.body[name], instance.scope);
    } finally {
      this.resolving.delete(key);
    }
  }

  private async node(node: Node, scope: Scope): Promise<Value> {
    const meta = node.meta ?? {};
    const children = node.children ?? [];
    const text = typeof meta.value === 'string' ? meta.value : node.type;
    switch (node.type) {
      case '':
        if (children[0]) return this.node(children[0], scope);
        throw new TerraformEvalError(`empty expression`);
      case 'literalValue':
        return this.literal(meta);
      case 'template':
      case 'templateWrap': {
        const values: Value[] = [];
        for (const child of children) values.push(await this.node(child, scope));
        if (node.type === 'templateWrap' && values.length === 1) return values[0] as Value;
        return this.concat(values, text);
      }
      case 'scopeTraversal':
        return this.traversal(text, scope);
      case 'relativeTraversal': {
        const source = children[0] ? await this.node(children[0], scope) : null;
        const segments = (meta.traversal ?? []) as { type: string; segment: string }[];
        return this.applySegments(source, segments, text);
      }
      case 'index': {
        const collection = await this.node(children[0]!, scope);
        const key = await this.node(children[1]!, scope);
        return this.index(collection, key, text);
      }
      case 'tuple': {
        const values: Value[] = [];
        for (const child of children) values.push(await this.node(child, scope));
        return values;
      }
      case 'object':
        return this.object(meta.items as Record<string, string>, scope);
      case 'function':
        return this.call(String(meta.name), children, meta.expandedFinalArgument === true, scope, text);
      case 'binaryOp':
        return this.binary(String(meta.operator), children, scope, text);
      case 'unaryOp': {
        const operand = await this.node(children[0]!, scope);
        if (operand instanceof Unknown) return new Unknown(text);
        if (meta.operator === 'logicalNot') return !toBool(operand, text);
        if (meta.operator === 'negate') return -toNumber(operand, text);
        throw new TerraformEvalError(`unsupported operator ${String(meta.operator)}`);
      }
      case 'conditional': {
        const condition = await this.node(children[0]!, scope);
        if (condition instanceof Unknown) return new Unknown(text);
        return this.node(toBool(condition, text) ? children[1]! : children[2]!, scope);
      }
      case 'for':
        return this.forExpression(meta, scope, text);
      case 'splat': {
        const source = await this.expression(String(meta.sourceExpression), scope);
        const each = String(meta.eachExpression).replace(/^\[\*\]\.?/, '');
        const items = this.collectionEntries(source, text);
        if (items instanceof Unknown) return items;
        const out: Value[] = [];
        for (const [, item] of items) out.push(each === '' ? item : await this.traversalOn(item, each, text));
        return out;
      }
      default:
        return new Unknown(text);
    }
  }

  private literal(meta: Record<string, unknown>): Value {
    const raw = String(meta.value);
    if (meta.type === 'number') return Number(raw);
    if (meta.type === 'bool') return raw === 'true';
    if (meta.type === 'dynamic' && raw === 'null') return null;
    return decodeStringLiteral(raw);
  }

  private async object(items: Record<string, string> | undefined, scope: Scope): Promise<Value> {
    const out: { [key: string]: Value } = {};
    for (const [rawKey, valueText] of Object.entries(items ?? {})) {
      let key: Value = rawKey;
      if (/^".*"$/s.test(rawKey)) key = JSON.parse(rawKey) as string;
      else if (rawKey.startsWith('(')) key = await this.expression(rawKey, scope);
      if (key instanceof Unknown) return new Unknown(`{ ${rawKey} = ... }`);
      out[toText(key, 'object key')] = await this.expression(valueText, scope);
    }
    return out;
  }

  private async traversal(text: string, scope: Scope): Promise<Value> {
    const match = /^([A-Za-z_][\w-]*)/.exec(text);
    if (!match?.[1]) throw new TerraformEvalError(`cannot read reference ${text}`);
    const root = match[1];
    let rest = text.slice(root.length);
    let value: Value;
    if (scope.names.has(root)) value = scope.names.get(root) as Value;
    else if (root === 'each') {
      if (!scope.each) throw new TerraformEvalError(`${text}: each is only valid with for_each`);
      value = { key: scope.each.key, value: scope.each.value };
    } else if (root === 'count') {
      if (scope.count === undefined) throw new TerraformEvalError(`${text}: count is only valid with count`);
      value = { index: scope.count };
    } else if (root === 'path')
      value = { module: this.module.dir, root: this.module.dir, cwd: this.module.dir };
    else if (root === 'terraform') value = { workspace: 'default' };
    else if (root === 'local' || root === 'var') {
      const name = /^\.([A-Za-z_][\w-]*)/.exec(rest)?.[1];
      if (!name) throw new TerraformEvalError(`cannot read reference ${text}`);
      rest = rest.slice(name.length + 1);
      value = root === 'local' ? await this.local(name) : await this.variable(name);
    } else {
      const isData = root === 'data';
      const head = isData
        ? /^\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)/.exec(rest)
        : /^\.([A-Za-z_][\w-]*)/.exec(rest);
      const type = isData ? head?.[1] : root;
      const name = isData ? head?.[2] : head?.[1];
      if (!head || !type || !name) throw new TerraformEvalError(`cannot read reference ${text}`);
      rest = rest.slice(head[0].length);
      const block = (isData ? this.module.data : this.module.resources).get(`${type}.${name}`);
      const address = `${isData ? 'data.' : ''}${type}.${name}`;
      if (!block) throw new TerraformEvalError(`${text}: ${address} is not declared`);
      value = new ResourceRef(address, block, undefined);
    }
    return this.traversalOn(value, rest, text);
  }

  /** Applies `.name` and `[key]` steps written as text (the remainder of a reference). */
  private async traversalOn(value: Value, rest: string, text: string): Promise<Value> {
    const segments: { type: string; segment: string }[] = [];
    const step = /^(?:\.([A-Za-z_][\w-]*)|\[("(?:[^"\\]|\\.)*"|\d+)\])/;
    let remaining = rest;
    while (remaining !== '') {
      const m = step.exec(remaining);
      if (!m) throw new TerraformEvalError(`cannot read reference ${text}`);
      segments.push(
        m[1] !== undefined
          ? { type: 'nameTraversal', segment: m[1] }
          : { type: 'indexTraversal', segment: m[2]! },
      );
      remaining = remaining.slice(m[0].length);
    }
    return this.applySegments(value, segments, text);
  }

  private async applySegments(value: Value, segments: { type: string; segment: string }[], text: string) {
    let current = value;
    for (const { type, segment } of segments) {
      if (type === 'nameTraversal') current = await this.attributeOf(current, segment, text);
      else current = await this.index(current, JSON.parse(segment) as Value, text);
    }
    return current;
  }

  private async attributeOf(value: Value, name: string, text: string): Promise<Value> {
    if (value instanceof Unknown) return new Unknown(`${value.text}.${name}`);
    if (value instanceof ResourceRef) return this.attribute(value, name);
    if (isRecord(value)) {
      if (!Object.hasOwn(value, name)) throw new TerraformEvalError(`${text}: no attribute "${name}"`);
      return value[name] as Value;
    }
    throw new TerraformEvalError(`${text}: cannot read .${name} of ${describe(value)}`);
  }

  private async index(collection: Value, key: Value, text: string): Promise<Value> {
    if (key instanceof Unknown) return new Unknown(text);
    if (collection instanceof Unknown) return new Unknown(`${collection.text}[${describe(key)}]`);
    if (collection instanceof ResourceRef) {
      if (collection.key !== undefined)
        throw new TerraformEvalError(`${text}: ${collection.instanceAddress} is one instance`);
      const instances = await this.instances(collection.block);
      const found = instances.find((i) => i.key === key || (typeof key === 'number' && i.key === key));
      if (!found)
        throw new TerraformEvalError(`${text}: ${collection.address} has no instance ${describe(key)}`);
      return new ResourceRef(collection.address, collection.block, found.key);
    }
    if (Array.isArray(collection)) {
      const index = toNumber(key, text);
      if (index < 0 || index >= collection.length)
        throw new TerraformEvalError(`${text}: index ${index} out of range`);
      return collection[index] as Value;
    }
    if (isRecord(collection)) {
      const name = toText(key, text);
      if (!Object.hasOwn(collection, name))
        throw new TerraformEvalError(`${text}: no key ${JSON.stringify(name)}`);
      return collection[name] as Value;
    }
    throw new TerraformEvalError(`${text}: cannot index ${describe(collection)}`);
  }

  /** (key, value) pairs of a collection; resources with several instances count as maps of them. */
  private collectionEntries(collection: Value, text: string): [Value, Value][] | Unknown {
    if (collection instanceof Unknown) return new Unknown(text);
    if (collection instanceof ResourceRef) {
      throw new TerraformEvalError(
        `${text}: iterate over ${collection.address} through values() or a for expression`,
      );
    }
    if (isSet(collection)) return (collection as Value[]).map((v) => [v, v]);
    if (Array.isArray(collection)) return collection.map((v, i) => [i, v]);
    if (isRecord(collection)) {
      return Object.keys(collection)
        .sort()
        .map((k) => [k, collection[k] as Value]);
    }
    throw new TerraformEvalError(`${text}: cannot iterate over ${describe(collection)}`);
  }

  private async materialize(value: Value): Promise<Value> {
    if (!(value instanceof ResourceRef) || value.key !== undefined) return value;
    if (value.block.body.for_each === undefined && value.block.body.count === undefined) return value;
    const instances = await this.instances(value.block);
    if (value.block.body.count !== undefined) {
      return instances.map((i) => new ResourceRef(value.address, value.block, i.key));
    }
    return Object.fromEntries(
      instances.map((i) => [String(i.key), new ResourceRef(value.address, value.block, i.key)]),
    );
  }

  private async forExpression(meta: Record<string, unknown>, scope: Scope, text: string): Promise<Value> {
    const collection = await this.materialize(
      await this.expression(String(meta.collectionExpression), scope),
    );
    const entries = this.collectionEntries(collection, text);
    if (entries instanceof Unknown) return entries;
    const keyVar = String(meta.keyVar ?? '');
    const valVar = String(meta.valVar);
    const isObject = typeof meta.keyExpression === 'string' && meta.keyExpression !== '';
    const condition = typeof meta.conditionalExpression === 'string' ? meta.conditionalExpression : '';
    const list: Value[] = [];
    const object: { [key: string]: Value } = {};
    for (const [key, value] of entries) {
      const names = new Map(scope.names);
      if (keyVar !== '') names.set(keyVar, key);
      names.set(valVar, value);
      const inner: Scope = { ...scope, names };
      if (condition !== '') {
        const keep = await this.expression(condition, inner);
        if (keep instanceof Unknown) return new Unknown(text);
        if (!toBool(keep, condition)) continue;
      }
      const item = await this.expression(String(meta.valueExpression), inner);
      if (!isObject) {
        list.push(item);
        continue;
      }
      const k = await this.expression(String(meta.keyExpression), inner);
      if (k instanceof Unknown) return new Unknown(text);
      const name = toText(k, text);
      if (meta.groupedValue === true) object[name] = [...((object[name] as Value[] | undefined) ?? []), item];
      else if (Object.hasOwn(object, name))
        throw new TerraformEvalError(`${text}: duplicate key ${JSON.stringify(name)}`);
      else object[name] = item;
    }
    return isObject ? object : list;
  }

  private async binary(operator: string, children: Node[], scope: Scope, text: string): Promise<Value> {
    const left = await this.node(children[0]!, scope);
    if (operator === 'logicalAnd' || operator === 'logicalOr') {
      if (!(left instanceof Unknown)) {
        const l = toBool(left, text);
        if (operator === 'logicalAnd' && !l) return false;
        if (operator === 'logicalOr' && l) return true;
      }
      const right = await this.node(children[1]!, scope);
      if (left instanceof Unknown || right instanceof Unknown) return new Unknown(text);
      return toBool(right, text);
    }
    const right = await this.node(children[1]!, scope);
    if (operator === 'equal' || operator === 'notEqual') {
      const same = sameValue(left, right);
      if (same === undefined) return new Unknown(text);
      return operator === 'equal' ? same : !same;
    }
    if (left instanceof Unknown || right instanceof Unknown) return new Unknown(text);
    const a = toNumber(left, text);
    const b = toNumber(right, text);
    switch (operator) {
      case 'add':
        return a + b;
      case 'subtract':
        return a - b;
      case 'multiply':
        return a * b;
      case 'divide':
        return a / b;
      case 'modulo':
        return a % b;
      case 'greaterThan':
        return a > b;
      case 'greaterThanOrEqual':
        return a >= b;
      case 'lessThan':
        return a < b;
      case 'lessThanOrEqual':
        return a <= b;
      default:
        throw new TerraformEvalError(`unsupported operator ${operator}`);
    }
  }

  private async call(
    name: string,
    argNodes: Node[],
    expand: boolean,
    scope: Scope,
    text: string,
  ): Promise<Value> {
    if (name === 'try' || name === 'can') {
      for (const node of argNodes) {
        try {
          const value = await this.node(node, scope);
          return name === 'can' ? !(value instanceof Unknown) || new Unknown(text) : value;
        } catch (error) {
          if (!(error instanceof TerraformEvalError)) throw error;
          if (name === 'can') return false;
        }
      }
      throw new TerraformEvalError(`${text}: no argument of try() could be evaluated`);
    }
    let args: Value[] = [];
    for (const node of argNodes) args.push(await this.materialize(await this.node(node, scope)));
    if (expand) {
      const last = args.pop();
      if (last instanceof Unknown) return new Unknown(text);
      if (!Array.isArray(last)) throw new TerraformEvalError(`${text}: only a list can be expanded with ...`);
      args = [...args, ...last];
    }
    const fn = BUILTINS[name];
    if (!fn) return new Unknown(text);
    return fn(args, text);
  }
}
