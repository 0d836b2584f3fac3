/** The pieces of a secret that could leak on their own, for log redaction (docs/architecture.md, "Invariants and where they are enforced"). */
import { SETTINGS } from './settings.js';

// API keys in RPC and webhook URLs are long; shorter path parts (`v2`, `mainnet`) are not secrets.
const MIN_URL_PART = 16;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function urlParts(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [];
  }
  const parts: string[] = [];
  if (url.password) parts.push(url.password, decoded(url.password));
  for (const segment of url.pathname.split('/')) {
    if (segment.length >= MIN_URL_PART) parts.push(segment, decoded(segment));
  }
  for (const [, param] of url.searchParams) if (param.length >= MIN_URL_PART) parts.push(param);
  return parts;
}

/**
 * `value` itself plus what could appear without it: a URL's password, key-like path segments and
 * query values; a hex key without its `0x`.
 */
export function secretForms(value: string): string[] {
  const forms = [value, ...urlParts(value)];
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) forms.push(value.slice(2));
  return forms;
}

/**
 * Every form of each secret setting's value as `env` gives it (the value itself, or the Secret
 * Manager reference naming it): the redaction list of a logger that runs before the configuration
 * is read, so that a startup failure quoting the wallet key still hides it.
 */
export function secretValuesInEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const values: string[] = [];
  for (const spec of SETTINGS) {
    const value = spec.secret ? env[spec.env]?.trim() : undefined;
    if (value) values.push(...secretForms(value));
  }
  return values;
}
