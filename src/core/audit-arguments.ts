/**
 * @module How many arguments an audit record keeps. A client chooses its
 * arguments' size; kept whole, a few large calls fill the audit volume.
 * Above the cap a record keeps a masked preview and the size, while
 * `arguments_digest` (over the real arguments) still binds the record to
 * exactly what was sent.
 */

/** Most bytes of (masked) argument JSON kept in one record. */
export const MAX_AUDIT_ARGUMENTS_BYTES = 8 * 1024;
/** Characters of the masked argument JSON kept as a preview when the cap applies. */
export const AUDIT_ARGUMENTS_PREVIEW_CHARS = 2 * 1024;
/** The one key of `call.arguments` in a record whose arguments were cut. */
export const TRUNCATED_KEY = "mcpgov.truncated";

export interface TruncatedArguments {
  [TRUNCATED_KEY]: { bytes: number; preview: string };
}

/** UTF-8 length of a string, without a node:buffer import (the core has none). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * The arguments a record keeps: the (already masked) arguments when their
 * JSON fits in `maxBytes`, else `{"mcpgov.truncated": {bytes, preview}}`,
 * still an object as the envelope schema requires.
 */
export function capArguments(masked: Record<string, unknown>, maxBytes = MAX_AUDIT_ARGUMENTS_BYTES): Record<string, unknown> {
  const json = JSON.stringify(masked);
  // Each UTF-16 unit is at most 3 UTF-8 bytes: most calls skip the count.
  if (json.length * 3 <= maxBytes) return masked;
  const bytes = utf8Length(json);
  if (bytes <= maxBytes) return masked;
  let preview = json.slice(0, AUDIT_ARGUMENTS_PREVIEW_CHARS);
  // Never end on half of a surrogate pair: that would be ill-formed text.
  if (/[\ud800-\udbff]$/.test(preview)) preview = preview.slice(0, -1);
  const truncated: TruncatedArguments = { [TRUNCATED_KEY]: { bytes, preview } };
  return truncated as unknown as Record<string, unknown>;
}
