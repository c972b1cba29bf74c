/**
 * @module Ill-formed Unicode at the boundary. A lone UTF-16 surrogate is
 * text JSON can carry but UTF-8 cannot: SQLite, OPA and the WASM engine
 * each read it differently, so the decision, the record and its hash would
 * disagree. mcpgov refuses such requests (naming the field) and records
 * them with every lone surrogate replaced by U+FFFD, the one escaping used
 * everywhere (`String.prototype.toWellFormed` does the same).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

export const wellFormedText = (text: string): string => (LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, "\uFFFD") : text);

const keyPath = (path: string, key: string): string => (/^[A-Za-z_][\w]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(wellFormedText(key))}]`);

/** The JSON path (from `root`) of the first ill-formed string or key in `value`, or undefined when all is well-formed. */
export function findIllFormed(value: unknown, root = "$", depth = 0): string | undefined {
  if (typeof value === "string") return isWellFormedText(value) ? undefined : root;
  if (depth > 128 || typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormed(value[i], `${root}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isWellFormedText(key)) return keyPath(root, key);
    const found = findIllFormed(item, keyPath(root, key), depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A copy with every lone surrogate (in strings and keys) replaced by U+FFFD; well-formed values come back as they are. */
export function toWellFormedDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return wellFormedText(value) as T;
  if (depth > 128 || typeof value !== "object" || value === null) return value;
  if (findIllFormed(value) === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => toWellFormedDeep(item, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[wellFormedText(key)] = toWellFormedDeep(item, depth + 1);
  return out as T;
}
