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
 * Cost: most text is ASCII, which needs nothing; one native regular
 * expression test says so. Text with non-ASCII characters but nothing to
 * fold costs one NFKC check. Only text that changes is mapped, chunk by
 * chunk, so an unchanged run is copied whole.
 */

/** Any character at all outside ASCII: ASCII never changes. */
const NON_ASCII = /[^\u0000-\u007f]/; // eslint-disable-line no-control-regex
/** Characters removed before matching. */
const IGNORABLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const IGNORABLE_RUNS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu;
/** Combining marks: NFKC composes them with the character before, so they stay with it. */
const MARK = /^\p{M}$/u;

export interface NormalisedText {
  /** The text to match. */
  text: string;
  /**
   * For each UTF-16 unit of `text`, the original span it came from
   * (start inclusive, end exclusive). Absent when `text` is the original.
   */
  map?: { start: Int32Array; end: Int32Array };
}

export function normaliseForMatching(original: string): NormalisedText {
  if (!NON_ASCII.test(original)) return { text: original };
  if (!IGNORABLE.test(original) && original.normalize("NFKC") === original) return { text: original };
  return mapped(original);
}

/** The original span of `[start, end)` in the normalised text. */
export function originalSpan(normalised: NormalisedText, start: number, end: number): [number, number] {
  const { map } = normalised;
  if (!map) return [start, end];
  return [map.start[start]!, map.end[end - 1]!];
}

class Builder {
  text = "";
  start: number[] = [];
  end: number[] = [];

  /** An unchanged piece: each unit maps to itself. */
  copy(piece: string, at: number): void {
    this.text += piece;
    for (let k = 0; k < piece.length; k++) {
      this.start.push(at + k);
      this.end.push(at + k + 1);
    }
  }

  /** A folded piece: every unit maps to the whole original segment. */
  fold(piece: string, from: number, to: number): void {
    this.text += piece;
    for (let k = 0; k < piece.length; k++) {
      this.start.push(from);
      this.end.push(to);
    }
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
  return { text: out.text, map: { start: Int32Array.from(out.start), end: Int32Array.from(out.end) } };
}

/** A chunk without ignorable characters: copied whole when NFKC leaves it, else folded per segment. */
function visible(chunk: string, at: number, out: Builder): void {
  if (chunk === "") return;
  if (!NON_ASCII.test(chunk) || chunk.normalize("NFKC") === chunk) {
    out.copy(chunk, at);
    return;
  }
  // A segment is one character and the combining marks after it: what NFKC may compose.
  let i = 0;
  while (i < chunk.length) {
    let j = i + codePointWidth(chunk, i);
    while (j < chunk.length && chunk.charCodeAt(j) >= 0x300 && MARK.test(String.fromCodePoint(chunk.codePointAt(j)!))) j += codePointWidth(chunk, j);
    const segment = chunk.slice(i, j);
    const folded = segment.charCodeAt(0) < 0x80 && j === i + 1 ? segment : segment.normalize("NFKC");
    if (folded === segment) out.copy(segment, at + i);
    else out.fold(folded, at + i, at + j);
    i = j;
  }
}

function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
}
