/** Removes secrets from text where a log line or stored message is built (DESIGN.md §3.5, STYLE.md rule 4). */

export const REDACTED = '[REDACTED]';

// Shorter registered values would match ordinary words and digits everywhere.
const MIN_SECRET_LENGTH = 4;

const PEM = /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g;
// 32 bytes of hex, 0x-prefixed or bare, not part of a longer hex run: the shape of a private key.
const HEX_32 = /(?<![0-9a-fA-F])(?:0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;
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

/** Applies every redaction rule to one string; `keepHashes` skips the 32-byte-hex shape rule. */
export type Redactor = (text: string, options?: { keepHashes?: boolean }) => string;

/**
 * A redactor for `secrets` (DESIGN.md §3.5): registered values (and their URL-encoded and
 * JSON-escaped forms, any case) become `[REDACTED]`; so do PEM blocks, 32-byte hex strings
 * (private-key shaped, 0x or bare), and the path, query and user info of credential-bearing URLs.
 */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const forms = [...new Set(secrets.flatMap(variants))].sort((a, b) => b.length - a.length);
  const registered = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'gi') : undefined;
  return (text, options = {}) => {
    let out = registered ? text.replace(registered, REDACTED) : text;
    out = out.replace(PEM, REDACTED);
    out = out.replace(URL_LIKE, redactUrl);
    if (!options.keepHashes) out = out.replace(HEX_32, REDACTED);
    return out;
  };
}

/** One-off redaction of `text` (for error messages stored in database rows and the like). */
export function redact(text: string, secrets: readonly string[] = []): string {
  return createRedactor(secrets)(text);
}
