/**
 * Removes secrets where a log line or stored message is built: registered secrets by value, keyed URLs
 * and PEM blocks by shape, and whole fields by name (docs/architecture.md, "Observability").
 */

export const REDACTED = '[REDACTED]';

// Shorter registered values would match ordinary words and digits everywhere.
const MIN_SECRET_LENGTH = 4;

const PEM = /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g;
const URL_LIKE = /\b([a-zA-Z][a-zA-Z0-9+.-]{0,31}):\/\/([^\s/?#"'<>]*)([^\s"'<>]*)/g;
const HOST = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9._~%-]+)(:[0-9]{1,5})?$/;
// An API key in a path: a long run of key characters that is not just hyphenated words.
const KEY_RUN = /[A-Za-z0-9_-]{20,}/g;
const PLAIN_WORDS = /^[a-z]+(?:[-_][a-z]+)*$/;
const WEBHOOK_HOSTS = new Set(['hooks.slack.com']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function hasKeyInPath(path: string): boolean {
  for (const run of path.match(KEY_RUN) ?? []) if (!PLAIN_WORDS.test(run)) return true;
  return false;
}

/**
 * A URL keeps its scheme and host; the rest goes when it may carry a credential: user info,
 * a query, a fragment, a key-like path segment, or a webhook host. An unreadable authority goes too.
 */
function redactUrl(match: string, scheme: string, authority: string, rest: string): string {
  const at = authority.lastIndexOf('@');
  const host = authority.slice(at + 1);
  if (!HOST.test(host)) return `${scheme}://${REDACTED}`;
  const keyed =
    at >= 0 ||
    /[?#@]/.test(rest) ||
    hasKeyInPath(rest) ||
    WEBHOOK_HOSTS.has(host.toLowerCase().replace(/:[0-9]+$/, ''));
  return keyed ? `${scheme}://${host}/${REDACTED}` : match;
}

/** The forms a registered secret can take inside a line: as is, URL-encoded, JSON-escaped. */
function variants(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** Applies every value and shape rule to one string. */
export type Redactor = (text: string) => string;

/**
 * A redactor for `secrets`: registered values (and their URL-encoded and JSON-escaped forms, any
 * case) become `[REDACTED]`; so do PEM blocks and the path, query and user info of
 * credential-bearing URLs. A bare 32-byte hex string is left alone: it is far more often a
 * transaction or block hash an operator needs than a key, and the keys hostpay holds (the wallet
 * key, with and without 0x) are registered, so they go by value.
 */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const forms = [...new Set(secrets.flatMap(variants))].sort((a, b) => b.length - a.length);
  const registered = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'gi') : undefined;
  return (text) => {
    let out = registered ? text.replace(registered, REDACTED) : text;
    out = out.replace(PEM, REDACTED);
    return out.replace(URL_LIKE, redactUrl);
  };
}

/** One-off redaction of `text` (for error messages stored in database rows and the like). */
export function redact(text: string, secrets: readonly string[] = []): string {
  return createRedactor(secrets)(text);
}

// Words that, in a field name, say the value is a credential; matched as whole words of the name
// (`privateKey`, `api_key`, `Authorization`, `tokenSigningKey`), so `monkey` or `turkey` are not.
const SECRET_WORDS = new Set([
  'key',
  'keys',
  'secret',
  'secrets',
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'token',
  'tokens',
  'mnemonic',
  'seed',
  'authorization',
  'credential',
  'credentials',
  'cookie',
]);
// The same words run together in one lowercase name (`apikey`, `privatekey`, `x-auth-token`).
const SECRET_RUN =
  /privatekey|apikey|secret|password|passwd|passphrase|mnemonic|authorization|credential|token$/;

/** Whether a field named `name` holds a credential, whatever its value: it is redacted whole. */
export function isSecretField(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word) || SECRET_RUN.test(word));
}
