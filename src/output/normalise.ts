/**
 * @module The form of a string the rules match: invisible characters
 * removed (Unicode format characters, category Cf: zero-width space, joiner
 * and non-joiner, word joiner, BOM, soft hyphen, bidi controls, tag
 * characters; and the other default-ignorable code points such as
 * variation selectors) and NFKC applied (fullwidth and other compatibility
 * forms folded), with a map back to the original. Pure.
 *
 * A secret split by invisible characters is matched in this form and
 * redacted in the original: the map turns a match into the whole original
 * span, the interleaved invisible characters included.
 *
 * Cost: most text is ASCII, which needs nothing; one native count of its
 * UTF-8 bytes says so. Other text costs two native searches for
 * invisible characters and one NFKC check (native, and it does not copy a
 * string that is already normalised); only text that changes is mapped,
 * with unchanged chunks copied whole and the map kept per chunk, not per
 * character.
 */

import { Buffer } from "node:buffer";

/** Any character at all outside ASCII: ASCII never changes. */
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
/**
 * The characters removed before matching, \p{Cf} and
 * \p{Default_Ignorable_Code_Point}, as plain (non-unicode) classes: a
 * unicode-mode class is several times slower to search for. Split in two
 * because irregexp searches a short class much faster than a long one.
 * Astral ones are found by their high surrogate (tags U+E0000–E0FFF,
 * and the few astral format characters); the exact test runs in `mapped`.
 */
// Lone combining characters (U+034F, U+180B…) are what the classes are for.
// eslint-disable-next-line no-misleading-character-class
const COMMON_IGNORABLE = /[\u00ad\u034f\u061c\u115f\u1160\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\udb40-\udb43]/;
// eslint-disable-next-line no-misleading-character-class
const RARE_IGNORABLE = /[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u17b4\u17b5\ud804\ud80d\ud82f\ud834]/;
/** Characters removed before matching. */
const IGNORABLE_RUNS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu;
/** Combining marks: NFKC composes them with the character before, so they stay with it. */
const MARK = /^\p{M}$/u;

/**
 * Pieces of the normalised text in order: a copied piece maps unit for
 * unit; a folded piece maps every unit to its whole original segment.
 */
interface Piece {
  /** Where the piece starts in the normalised text. */
  at: number;
  from: number;
  to: number;
  copied: boolean;
}

export interface NormalisedText {
  /** The text to match. */
  text: string;
  /** How `text` maps back to the original; absent when `text` is the original. */
  pieces?: readonly Piece[];
}

export function normaliseForMatching(original: string): NormalisedText {
  // As many UTF-8 bytes as UTF-16 units: ASCII. Counted natively, three times faster than a regular expression.
  if (Buffer.byteLength(original, "utf8") === original.length) return { text: original };
  if (!COMMON_IGNORABLE.test(original) && !RARE_IGNORABLE.test(original) && original.normalize("NFKC") === original) return { text: original };
  return mapped(original);
}

/** The original span of `[start, end)` in the normalised text. */
export function originalSpan(normalised: NormalisedText, start: number, end: number): [number, number] {
  const { pieces } = normalised;
  if (!pieces) return [start, end];
  const first = pieces[pieceAt(pieces, start)]!;
  const last = pieces[pieceAt(pieces, end - 1)]!;
  return [first.copied ? first.from + (start - first.at) : first.from, last.copied ? last.from + (end - last.at) : last.to];
}

function pieceAt(pieces: readonly Piece[], index: number): number {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pieces[mid]!.at <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

class Builder {
  readonly parts: string[] = [];
  readonly pieces: Piece[] = [];
  length = 0;

  add(text: string, from: number, to: number, copied: boolean): void {
    if (text === "") return;
    this.parts.push(text);
    this.pieces.push({ at: this.length, from, to, copied });
    this.length += text.length;
  }
}

function mapped(original: string): NormalisedText {
  const out = new Builder();
  let cursor = 0;
  IGNORABLE_RUNS.lastIndex = 0;
  for (let m = IGNORABLE_RUNS.exec(original); m !== null; m = IGNORABLE_RUNS.exec(original)) {
    visible(original.slice(cursor, m.index), cursor, out);
    cursor = m.index + m[0].length;
  }
  visible(original.slice(cursor), cursor, out);
  const text = out.parts.join("");
  // A surrogate of a plane that only shares its block with ignorables: nothing changed after all.
  if (text === original) return { text: original };
  return { text, pieces: out.pieces.length > 0 ? out.pieces : [{ at: 0, from: 0, to: original.length, copied: false }] };
}

/** A chunk without ignorable characters: copied whole when NFKC leaves it, else folded per segment. */
function visible(chunk: string, at: number, out: Builder): void {
  if (chunk === "") return;
  if (!NON_ASCII.test(chunk) || chunk.normalize("NFKC") === chunk) {
    out.add(chunk, at, at + chunk.length, true);
    return;
  }
  // A segment is one character and the combining marks after it: what NFKC may compose.
  let copyFrom = 0;
  let i = 0;
  while (i < chunk.length) {
    let j = i + codePointWidth(chunk, i);
    while (j < chunk.length && chunk.charCodeAt(j) >= 0x300 && MARK.test(String.fromCodePoint(chunk.codePointAt(j)!))) j += codePointWidth(chunk, j);
    if (chunk.charCodeAt(i) >= 0x80 || j > i + 1) {
      const segment = chunk.slice(i, j);
      const folded = segment.normalize("NFKC");
      if (folded !== segment) {
        out.add(chunk.slice(copyFrom, i), at + copyFrom, at + i, true);
        out.add(folded, at + i, at + j, false);
        copyFrom = j;
      }
    }
    i = j;
  }
  out.add(chunk.slice(copyFrom), at + copyFrom, at + chunk.length, true);
}

function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
}
