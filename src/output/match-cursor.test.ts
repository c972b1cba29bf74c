import { describe, expect, it } from "vitest";
import { anchoredCursor, anchorStarts, globalCursor, type MatchCursor } from "./match-cursor.js";
import type { RuleAnchor, ScanRule } from "./scan-rule.js";

/** Candidate starts over the whole text, dense or not. */
const everyStart = (text: string, anchor: RuleAnchor): number[] | undefined => anchorStarts(text, anchor, new Map(), 0, text.length, 0);

const rule = (pattern: RegExp): ScanRule => ({ id: "t", type: "t", category: "secret", pattern, confidence: 1, priority: 1 });

/** [index, text] of every match, resuming after a match at `skip(match)` when given. */
function walk(cursor: MatchCursor, skip?: (m: RegExpExecArray) => number | undefined): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let m = cursor.next(); m !== null; m = cursor.next()) {
    out.push([m.index, m[0]]);
    const to = skip?.(m);
    if (to !== undefined) cursor.skipTo(to);
  }
  return out;
}

function both(pattern: RegExp, text: string, anchor: RuleAnchor, skip?: (m: RegExpExecArray) => number | undefined) {
  const starts = anchorStarts(text, anchor, new Map(), 0, text.length, 0)!;
  return { plain: walk(globalCursor(pattern, text), skip), anchored: walk(anchoredCursor(rule(pattern), text, starts), skip) };
}

describe("anchored matching", () => {
  it("finds every literal occurrence, overlapping ones included, minus the offset", () => {
    expect(everyStart("xaaaa-aa", { literals: ["aa"] })).toEqual([1, 2, 3, 6]);
    // A literal too near the start for its offset, or the window's, starts no match.
    expect(everyStart("k-sk-", { literals: ["k-"], offset: 1 })).toEqual([2]);
    expect(anchorStarts("k-sk-", { literals: ["k-"], offset: 1 }, new Map(), 3, 5, 0)).toEqual([]);
    expect(anchorStarts("k-sk-", { literals: ["k-"], offset: 1 }, new Map(), 2, 5, 0)).toEqual([0]);
    expect(anchorStarts("k-sk-", { literals: ["k-"], offset: 1 }, new Map(), 1, 5, 0)).toEqual([1]);
    expect(everyStart("b@a://c", { literals: ["://", "@"] })).toEqual([1, 3]);
  });

  it("yields the global search's matches: leftmost first, none inside an earlier match, lookbehinds reading the whole text", () => {
    const pattern = /(?<![a-z])ab{1,5}/g;
    const text = "ab abbb xab ab-abab abbbbbbb";
    const { plain, anchored } = both(pattern, text, { literals: ["a"] });
    expect(plain).toEqual([[0, "ab"], [3, "abbb"], [12, "ab"], [15, "ab"], [20, "abbbbb"]]);
    expect(anchored).toEqual(plain);
  });

  it("resumes after a span a validator widened, as the global search does", () => {
    const pattern = /BEGIN/g;
    const text = "BEGIN x BEGIN y END BEGIN";
    // Widen the first match to the END: the BEGIN inside it is skipped by both.
    const skip = (m: RegExpExecArray) => (m.index === 0 ? text.indexOf("END") + 3 : undefined);
    const { plain, anchored } = both(pattern, text, { literals: ["BEGIN"] }, skip);
    expect(plain).toEqual([[0, "BEGIN"], [20, "BEGIN"]]);
    expect(anchored).toEqual(plain);
  });

  it("moves past an empty match when told to, as the engine does", () => {
    const pattern = /@?/g;
    const skip = (m: RegExpExecArray) => (m[0] === "" ? m.index + 1 : undefined);
    const { anchored } = both(pattern, "a@b@", { literals: ["@"] }, skip);
    expect(anchored).toEqual([[1, "@"], [3, "@"]]);
  });
});

describe("dense anchors", () => {
  it("are not used: the global search is cheaper than a call per occurrence", () => {
    const text = `${"sk-".repeat(100)}${" ".repeat(6000)}`;
    expect(anchorStarts(text, { literals: ["k-"], offset: 1 }, new Map())).toBeUndefined();
    expect(anchorStarts(`sk-${" ".repeat(64)}`, { literals: ["k-"], offset: 1 }, new Map())).toEqual([0]);
    expect(anchorStarts("a".repeat(41 * 4), { run: { chars: "a", min: 40 } }, new Map())).toEqual([0]);
    expect(anchorStarts("aa-".repeat(100), { run: { chars: "a", min: 2 } }, new Map())).toBeUndefined();
  });
});

describe("run anchors", () => {
  const anchor: RuleAnchor = { run: { chars: "a-z", min: 4 }, offset: 1 };

  it("finds each run of at least min class characters, one before its start, clamped to the window", () => {
    //            0123456789012345678901234
    const text = "abcd-abc-abcdefghij-xy-abcd";
    expect(anchorStarts(text, anchor, new Map(), 0, text.length, 0)).toEqual([0, 8, 22]);
    // A window cutting a run keeps it only if min characters of it are inside; its start becomes the window's.
    expect(anchorStarts(text, anchor, new Map(), 12, 24, 0)).toEqual([0]);
    expect(anchorStarts(text, anchor, new Map(), 16, 27, 0)).toEqual([6]);
    expect(anchorStarts(text, anchor, new Map(), 16, 26, 0)).toEqual([]);
    expect(anchorStarts(text, anchor, new Map(), 15, 27, 0)).toEqual([0, 7]);
  });

  it("counts only ASCII class characters: a letter outside ASCII ends a run", () => {
    expect(anchorStarts("abcdéfgh", anchor, new Map(), 0, "abcdéfgh".length, 0)).toEqual([0]);
    expect(anchorStarts("abcéfgh", anchor, new Map(), 0, "abcéfgh".length, 0)).toEqual([]);
  });

  it("yields the global search's matches for a run-shaped pattern, windowed or not", () => {
    const pattern = /(?:^|[^a-z])([a-z]{4})(?![a-z])/g;
    const text = "abcd xyz qwer, abcdefg zz-wxyz";
    const plain = walk(globalCursor(pattern, text));
    expect(plain).toEqual([[0, "abcd"], [8, " qwer"], [25, "-wxyz"]]);
    expect(walk(anchoredCursor(rule(pattern), text, anchorStarts(text, anchor, new Map(), 0, text.length, 0)!))).toEqual(plain);
    const window = text.slice(17);
    expect(walk(anchoredCursor(rule(pattern), window, anchorStarts(text, anchor, new Map(), 17, text.length, 0)!))).toEqual(walk(globalCursor(pattern, window)));
  });
});
