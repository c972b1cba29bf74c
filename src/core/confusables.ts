/**
 * @module Lookalike names: the skeleton of a tool name (NFKC, invisible
 * characters dropped, Cyrillic/Greek lookalikes of Latin letters and digits
 * mapped to them, lower-cased) and how two names collide.
 *
 * A compact table, not all of Unicode's confusables.txt: the scripts that
 * actually pass for ASCII in a tool name. Fullwidth and mathematical
 * letters need no entry: NFKC already turns them into ASCII.
 */

/** Invisible code points: zero-width, joiners, bidi controls and marks, tag characters, fillers. */
export const INVISIBLE = /\u034f|[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]|\udb40[\udc00-\udc7f]/g;

/** Lookalike → the Latin letter or digit it passes for; upper case maps to upper case. */
const TABLE: Record<string, string> = {
  // Cyrillic, upper case
  "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O",
  "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "l", "З": "3", "Ү": "Y",
  // Cyrillic, lower case
  "а": "a", "в": "b", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
  "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ԁ": "d",
  "ь": "b", "г": "r", "п": "n", "з": "3", "б": "6", "ү": "y", "ѵ": "v", "ԍ": "g",
  // Greek, upper case
  "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
  "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
  // Greek, lower case
  "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
  "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "η": "n", "μ": "u",
  // Latin lookalikes outside ASCII that NFKC keeps
  "ı": "i", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʏ": "y", "ꞵ": "b",
};

const LOOKALIKE = new RegExp(`[${Object.keys(TABLE).join("")}]`, "gu");

/** The form two names are compared in: equal skeletons look alike to a reader (and to a model). */
export function skeleton(name: string): string {
  return name
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(LOOKALIKE, (ch) => TABLE[ch] ?? ch)
    .toLowerCase();
}

export type NameCollision = "case" | "confusable";

/**
 * How `name` collides with `other`: `case` when they differ only in case,
 * `confusable` when only their skeletons agree; undefined when equal or
 * unalike. Exact equality is not a collision: each server keeps its own
 * namespace, and the same plain name on two servers deceives nobody.
 */
export function nameCollision(name: string, other: string): NameCollision | undefined {
  if (name === other) return undefined;
  if (name.toLowerCase() === other.toLowerCase()) return "case";
  if (skeleton(name) === skeleton(other)) return "confusable";
  return undefined;
}

/** Whether a name has anything outside printable ASCII (the side of a lookalike pair that imitates). */
export const hasNonAscii = (name: string): boolean => /[^\x20-\x7e]/.test(name);
