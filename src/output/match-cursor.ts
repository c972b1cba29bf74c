/**
 * @module How a rule's pattern walks a text: a global search (one regex pass
 * over the whole text), or, for a rule with an `anchor`, a sticky match
 * tried only where the anchor says a match can start: just before one of
 * its literals, or just before a long run of a character class. Both yield
 * the same matches in the same order. Pure.
 *
 * Why it is the same: a global regex returns the leftmost match starting at
 * or after lastIndex. Every match starts at a candidate (the rule promises
 * it; test/scan-equivalence.test.ts compares both walks on the corpora), so
 * trying the candidates after lastIndex in order, each with the same
 * pattern made sticky, finds that same leftmost match: the match at one
 * start does not depend on where the search began, lookbehinds included,
 * because both read the same text.
 *
 * Why literals and runs, not one multi-pattern automaton: `indexOf` finds a
 * literal that starts with a rare character at memchr speed (an `@` in
 * 4 MB in well under a millisecond), and a run of 40 is found by probing
 * one character in 40; an Aho–Corasick walk in JavaScript reads every
 * character, about 2.5 ns each (10 ms per 4 MB), more than the regex passes
 * it would replace.
 */
import type { RuleAnchor, ScanRule } from "./scan-rule.js";

export interface MatchCursor {
  /** The next match, or null when there is none. */
  next(): RegExpExecArray | null;
  /** Resumes the search at `index` when that is further on (a widened span, or past an empty match). */
  skipTo(index: number): void;
}

/** Where each anchor literal starts in one text (ascending), or null where it is dense; shared by the rules of one scan. */
export type AnchorCache = Map<string, number[] | null>;

/**
 * Anchors closer together than this many characters on average: the global
 * search instead (same matches). Finding an occurrence and trying a sticky
 * match there cost a call each, about what the regex's own search spends on
 * 100 characters, so dense anchors ("sk-sk-sk-…", "@.@.@.…") would make
 * hostile input several times slower.
 */
export const DENSE_ANCHORS = 64;

/** A global regex over the whole text, as `RegExp.prototype.exec` walks it. */
export function globalCursor(pattern: RegExp, text: string): MatchCursor {
  pattern.lastIndex = 0;
  return {
    next: () => pattern.exec(text),
    skipTo: (index) => {
      if (index > pattern.lastIndex) pattern.lastIndex = index;
    },
  };
}

/** Every start of `literal` in `text`, overlapping occurrences included; null as soon as they are dense. */
function literalStarts(text: string, literal: string, dense: number): number[] | null {
  const starts: number[] = [];
  const most = dense > 0 ? Math.max(1, text.length / dense) : Infinity;
  for (let i = text.indexOf(literal); i !== -1; i = text.indexOf(literal, i + 1)) {
    if (starts.push(i) > most) return null;
  }
  return starts;
}

const classTables = new Map<string, Uint8Array>();

/** Membership of the ASCII characters in a class body; characters from 128 up are never members. */
function classTable(chars: string): Uint8Array {
  let table = classTables.get(chars);
  if (!table) {
    const member = new RegExp(`^[${chars}]$`);
    table = new Uint8Array(128);
    for (let c = 0; c < 128; c++) table[c] = member.test(String.fromCharCode(c)) ? 1 : 0;
    classTables.set(chars, table);
  }
  return table;
}

/**
 * Starts of the runs of at least `min` class characters in
 * `text.slice(from, to)`, relative to it. Probes one character in `min`: a
 * run that long covers a probe, and a probe outside the class rules out the
 * `min` positions before it. Each character is read at most twice, so the
 * walk is linear. Runs are found per window, not over the whole text: a
 * rule scoped to keywords reads only its windows.
 */
function runStarts(text: string, chars: string, min: number, from: number, to: number): number[] {
  const table = classTable(chars);
  const starts: number[] = [];
  let probe = from + min - 1;
  while (probe < to) {
    let c = text.charCodeAt(probe);
    if (c >= 128 || table[c] === 0) {
      probe += min;
      continue;
    }
    let start = probe;
    while (start > from && (c = text.charCodeAt(start - 1)) < 128 && table[c] === 1) start--;
    let end = probe + 1;
    while (end < to && (c = text.charCodeAt(end)) < 128 && table[c] === 1) end++;
    if (end - start >= min) starts.push(start - from);
    // text[end] is outside the class: the next long run ends after end + min.
    probe = end + min;
  }
  return starts;
}

/** Each literal's occurrences in `text`, found once per scan. */
function literalLists(text: string, literals: readonly string[], cache: AnchorCache, dense = DENSE_ANCHORS): Array<number[] | null> {
  return literals.map((literal) => {
    let starts = cache.get(literal);
    if (starts === undefined) {
      starts = literalStarts(text, literal, dense);
      cache.set(literal, starts);
    }
    return starts;
  });
}

/** False when the anchor cannot occur in `text`, so the rule has no match (runs are not looked for here). */
export function anchorFound(text: string, anchor: RuleAnchor, cache: AnchorCache): boolean {
  return anchor.run !== undefined || literalLists(text, anchor.literals, cache).some((starts) => starts === null || starts.length > 0);
}

/** Whether `literal` occurs in `text`, from the cache when an anchor already looked for it. */
export function containsLiteral(text: string, literal: string, cache: AnchorCache): boolean {
  const starts = cache.get(literal);
  return starts === undefined ? text.includes(literal) : starts === null || starts.length > 0;
}

/**
 * The candidate starts of an anchored rule in `text.slice(from, to)`,
 * relative to it and ascending: `offset` before a literal that lies wholly
 * in the window, or before a run with `run.min` characters in it (at the
 * window's start when the run starts before it: a pattern can match there
 * with `^`). Undefined when they are denser than one in `dense` characters
 * (0: never): the global search is cheaper then.
 */
export function anchorStarts(text: string, anchor: RuleAnchor, cache: AnchorCache, from = 0, to = text.length, dense = DENSE_ANCHORS): number[] | undefined {
  const offset = anchor.offset ?? 0;
  let starts: number[] = [];
  if (anchor.run) {
    starts = runStarts(text, anchor.run.chars, anchor.run.min, from, to).map((start) => Math.max(0, start - offset));
  } else {
    const lists = literalLists(text, anchor.literals, cache, dense);
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i];
      if (!list) return undefined;
      const length = anchor.literals[i]!.length;
      // A literal nearer the window's start than `offset` would start its match before the window.
      for (let k = lowerBound(list, from + offset); k < list.length && list[k]! + length <= to; k++) starts.push(list[k]! - from - offset);
    }
    if (lists.length > 1) starts.sort((a, b) => a - b);
  }
  return starts.length * dense <= to - from ? starts : undefined;
}

/** The first index whose value is at least `value` in an ascending list. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const stickyPatterns = new WeakMap<RegExp, RegExp>();

/** The rule's pattern with the sticky flag: it matches only at lastIndex. Built once per pattern. */
function sticky(pattern: RegExp): RegExp {
  let copy = stickyPatterns.get(pattern);
  if (!copy) {
    copy = new RegExp(pattern.source, pattern.flags.includes("y") ? pattern.flags : `${pattern.flags}y`);
    stickyPatterns.set(pattern, copy);
  }
  return copy;
}

/** The rule's pattern tried in `text` at each of `starts` (ascending) that is not inside an earlier match. */
export function anchoredCursor(rule: ScanRule, text: string, starts: readonly number[]): MatchCursor {
  const pattern = sticky(rule.pattern);
  let i = 0;
  let resume = 0;
  return {
    next: () => {
      while (i < starts.length) {
        const start = starts[i++]!;
        if (start < resume) continue;
        pattern.lastIndex = start;
        const match = pattern.exec(text);
        if (match !== null) {
          resume = pattern.lastIndex;
          return match;
        }
      }
      return null;
    },
    skipTo: (index) => {
      if (index > resume) resume = index;
    },
  };
}
