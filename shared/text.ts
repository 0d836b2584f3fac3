/** Checks on text that crosses a trust boundary (docs/architecture.md, "Hostile input"). */

/**
 * Whether `text` holds a C0 control character or DEL (PostgreSQL cannot store NUL; no identifier holds
 * any); with `allowLayout`, tab, line feed and carriage return are allowed (notes may have lines).
 */
export function hasControlCharacter(text: string, options: { allowLayout?: boolean } = {}): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (options.allowLayout && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
