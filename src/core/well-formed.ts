/**
 * @module Well-formed Unicode for stored evidence: a lone UTF-16 surrogate
 * has no UTF-8 form, so SQLite (and any UTF-8 file) would store something
 * other than what was hashed. Replacing each with U+FFFD before sealing
 * makes what is hashed and what is stored the same text.
 *
 * At the boundary mcpgov refuses such text instead (naming the field, see
 * `findIllFormed`): the engine, OPA and the store would each read it
 * differently. The record of the refusal carries it escaped the one way
 * defined here.
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

const keyPath = (path: string, key: string): string => (/^[A-Za-z_][\w]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(toWellFormed(key))}]`);

/** The JSON path (from `root`) of the first string or key in `value` with a lone surrogate; undefined when all is well formed. */
export function findIllFormed(value: unknown, root = "$", depth = 0): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? root : undefined;
  if (depth > 128 || typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormed(value[i], `${root}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return keyPath(root, key);
    const found = findIllFormed(item, keyPath(root, key), depth + 1);
    if (found) return found;
  }
  return undefined;
}
