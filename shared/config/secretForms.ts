/** The pieces of a secret that could leak on their own, for log redaction (DESIGN.md §3.5). */

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
