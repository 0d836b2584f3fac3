/**
 * Checks one request and its answer against an OpenAPI 3.1 document: the path and method are described
 * (else the answer must be 404 or 405), every query parameter is declared (else the answer must be 400),
 * a non-JSON answer is only the framework's own 400, 413 or 415,
 * the status is among the operation's responses and the body fits its schema. The schema subset checked:
 * type, enum, properties, required, additionalProperties, items, oneOf, $ref.
 */
type Schema = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };

export interface Exchange {
  method: string;
  url: string;
  status: number;
  body: unknown;
  /** false when the answer was not JSON: the Functions Framework refusing a body before any handler. */
  json?: boolean;
}

/** The described operation a request hit, e.g. `GET /payouts/{key}`; null when none. */
export function operationOf(doc: Doc, method: string, path: string): string | null {
  const template = templateOf(doc, path);
  return template && doc.paths[template]?.[method.toLowerCase()]
    ? `${method.toUpperCase()} ${template}`
    : null;
}

function templateOf(doc: Doc, path: string): string | undefined {
  const bare = path.replace(/\/+$/, '') || '/';
  return Object.keys(doc.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare),
  );
}

export function checkExchange(doc: Doc, exchange: Exchange): string[] {
  const url = new URL(exchange.url, 'http://admin');
  const template = templateOf(doc, url.pathname);
  const where = `${exchange.method} ${url.pathname}${url.search} → ${exchange.status}`;
  const errorBody = () => fits(doc, doc.components.schemas.Error!, exchange.body, 'body');
  // The framework's own refusal of a body it cannot parse (documented in info.description).
  if (exchange.json === false && [400, 413, 415].includes(exchange.status)) return [];
  if (template === undefined) {
    return exchange.status === 404 ? errorBody() : [`${where}: the document describes no such path`];
  }
  const operation = doc.paths[template]![exchange.method.toLowerCase()];
  if (operation === undefined) {
    return exchange.status === 405 ? errorBody() : [`${where}: the document describes no ${exchange.method}`];
  }
  const problems: string[] = [];
  const declared = new Set(
    ((operation.parameters ?? []) as { name: string; in: string }[])
      .filter((p) => p.in === 'query')
      .map((p) => p.name),
  );
  for (const name of url.searchParams.keys()) {
    if (!declared.has(name) && exchange.status !== 400)
      problems.push(`${where}: query parameter ${name} is not declared`);
  }
  const response = (operation.responses as Record<string, Schema>)[String(exchange.status)];
  if (response === undefined) return [...problems, `${where}: status ${exchange.status} is not described`];
  const schema = (response.content as Record<string, { schema: Schema }> | undefined)?.['application/json']
    ?.schema;
  if (schema) problems.push(...fits(doc, schema, exchange.body, 'body').map((p) => `${where}: ${p}`));
  return problems;
}

function fits(doc: Doc, schema: Schema, value: unknown, at: string): string[] {
  if (typeof schema.$ref === 'string') {
    return fits(doc, doc.components.schemas[schema.$ref.split('/').at(-1)!]!, value, at);
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Schema[]).filter((option) => fits(doc, option, value, at).length === 0);
    return matching.length === 1 ? [] : [`${at}: matches ${matching.length} of oneOf`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} not in enum`];
  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.some((type) => isType(type, value)))
      return [`${at}: ${JSON.stringify(value)?.slice(0, 60)} is not ${types.join('|')}`];
  }
  const problems: string[] = [];
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries())
      problems.push(...fits(doc, schema.items as Schema, item, `${at}[${i}]`));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in record)) problems.push(`${at}.${name}: required, missing`);
    }
    for (const [name, item] of Object.entries(record)) {
      if (properties[name]) problems.push(...fits(doc, properties[name]!, item, `${at}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${at}.${name}: not described`);
      else if (typeof schema.additionalProperties === 'object') {
        problems.push(...fits(doc, schema.additionalProperties as Schema, item, `${at}.${name}`));
      }
    }
  }
  return problems;
}

function isType(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
