/**
 * @module How a rule's pattern walks a text: a global search (one regex pass
 * over the whole text), or, for a rule with an `anchor`, a sticky match
 * tried only where one of its literals occurs. Both yield the same matches
 * in the same order, the anchored one without searching the text with the
 * rule's regex. Pure.
 *
 * Why it is the same: a global regex returns the leftmost match starting at
 * or after lastIndex. Every match starts `offset` characters before an
 * anchor literal (the rule promises it, and scan-rule.test checks it on the
 * corpus), so trying the candidate starts after lastIndex in order, each
 * with the same pattern made sticky, finds that same leftmost match; the
 * match at one start does not depend on where the search began, lookbehinds
 * included, because both read the whole text.
 *
 * Why literals and not one multi-pattern automaton: the JavaScript engine's
 * `indexOf` finds a literal that starts with a rare character at memchr
 * speed (an `@` in 4 MB in well under a millisecond), where an Aho–Corasick
 * walk in JavaScript costs about 2.5 ns per character (10 ms per 4 MB), more
 * than the regex passes it would replace.
 */
import type { RuleAnchor, ScanRule } from "./scan-rule.js";

export interface MatchCursor {
  /** The next match, or null when there is none. */
  next(): RegExpExecArray | null;
  /** Resumes the search at `index` when that is further on (a widened span, or past an empty match). */
  skipTo(index: number): void;
}

/** Where literals occur in one text, shared by the rules of one scan. */
export type LiteralPositions = Map<string, number[]>;

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

/** Every start of `literal` in `text` (overlapping ones included), found once per scan. */
export function literalPositions(text: string, literal: string, cache: LiteralPositions): number[] {
  let positions = cache.get(literal);
  if (!positions) {
    positions = [];
    for (let i = text.indexOf(literal); i !== -1; i = text.indexOf(literal, i + 1)) positions.push(i);
    cache.set(literal, positions);
  }
  return positions;
}

/** The candidate starts of an anchored rule, ascending and distinct. */
export function anchorStarts(text: string, anchor: RuleAnchor, cache: LiteralPositions): number[] {
  const offset = anchor.offset ?? 0;
  const lists = anchor.literals.map((literal) => literalPositions(text, literal, cache));
  const starts: number[] = [];
  for (const list of lists) for (const at of list) if (at >= offset) starts.push(at - offset);
  if (lists.length > 1) starts.sort((a, b) => a - b);
  return starts;
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

/** The rule's pattern tried at each of `starts` (ascending) that is not inside an earlier match. */
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
