/**
 * @module Well-formed Unicode for stored evidence: a lone UTF-16 surrogate
 * has no UTF-8 form, so SQLite (and any UTF-8 file) would store something
 * other than what was hashed. Replacing each with U+FFFD before sealing
 * makes what is hashed and what is stored the same text.
 */

/** With the `u` flag only unpaired surrogates match; a pair is one code point, not a surrogate. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** The string with every lone surrogate replaced by U+FFFD (what `String.prototype.toWellFormed` does). */
export function toWellFormed(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, "\uFFFD") : text;
}

/**
 * A copy of a JSON value with every string, object keys included, made
 * well formed; `changed` says whether anything was replaced. Values without
 * a lone surrogate come back as they were (same object).
 */
export function wellFormedJson<T>(value: T): { value: T; changed: boolean } {
  let changed = false;
  const walk = (item: unknown): unknown => {
    if (typeof item === "string") {
      const fixed = toWellFormed(item);
      if (fixed !== item) changed = true;
      return fixed;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(item as Record<string, unknown>)) {
        const fixedKey = toWellFormed(key);
        if (fixedKey !== key) changed = true;
        // Two keys may collapse into one: the later wins, as JSON.parse would do with duplicates.
        out[fixedKey] = walk(child);
      }
      return out;
    }
    return item;
  };
  const fixed = walk(value) as T;
  return changed ? { value: fixed, changed } : { value, changed };
}

/**
 * Whether JSON text from JSON.stringify holds an escaped lone surrogate
 * (`\udxxx`; paired surrogates are written literally). A cheap test on text
 * the store makes anyway, so the walk above runs only when needed. An even
 * run of backslashes before `u` is an escaped backslash, not an escape.
 */
export function jsonHasLoneSurrogate(json: string): boolean {
  return /(?:^|[^\\])(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i.test(json);
}
