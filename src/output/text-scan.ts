/**
 * @module The scanning engine for one string: runs each rule whose
 * prefilter passes (over the whole text, or only at its anchors: see
 * match-cursor.ts), validates candidates, and keeps one finding per span
 * (the highest priority where spans overlap). Pure.
 */
import { type AnchorCache, anchoredCursor, anchorFound, anchorStarts, containsLiteral, globalCursor } from "./match-cursor.js";
import type { Candidate, ScanRule } from "./scan-rule.js";
import { keywordBefore } from "./scan-rule.js";
import { shannonEntropy } from "./validators.js";

export interface TextMatch {
  start: number;
  end: number;
  type: string;
  category: ScanRule["category"];
  ruleId: string;
  confidence: number;
  priority: number;
  /** The matched value, for masking and previews; never leaves the scanner in a finding. */
  value: string;
}

export interface TextScanResult {
  matches: TextMatch[];
  /** True when `maxMatches` cut the scan short: the caller must not treat the text as clean. */
  truncated: boolean;
}

export interface TextScanOptions {
  /** Characters prepended for context only (a JSON key); matches inside it are dropped, offsets exclude it. */
  contextPrefix?: string;
  maxMatches?: number;
}

export const DEFAULT_MAX_MATCHES = 10_000;

function groupSpan(match: RegExpExecArray, group: ScanRule["group"]): [number, number] | undefined {
  if (group === undefined) return [match.index, match.index + match[0].length];
  for (const g of typeof group === "number" ? [group] : group) {
    const span = match.indices?.[g];
    if (span) return span;
  }
  return undefined;
}

export function scanText(input: string, rules: readonly ScanRule[], options: TextScanOptions = {}): TextScanResult {
  const prefix = options.contextPrefix ?? "";
  const text = prefix + input;
  const maxMatches = options.maxMatches ?? DEFAULT_MAX_MATCHES;
  const candidates: TextMatch[] = [];
  let truncated = false;
  const memo = new Map<unknown, unknown>();
  const anchors: AnchorCache = new Map();

  outer: for (const rule of rules) {
    const { anchor } = rule;
    // An anchored rule with no anchor in the text has no match: its prefilter need not be searched for.
    if (anchor && !anchorFound(text, anchor, anchors)) continue;
    if (rule.prefilter && !rule.prefilter.some((s) => containsLiteral(text, s, anchors))) continue;
    let windows: Array<[number, number]> = [[0, text.length]];
    let hits: KeywordHits | undefined;
    if (rule.scope === "keywords" && rule.keywords) ({ windows, hits } = keywordWindows(text, rule, rule.keywordWindow ?? 64));
    for (const [from, to] of windows) {
    const slice = from === 0 && to === text.length ? text : text.slice(from, to);
    // Rules are shared; scanning is synchronous and validators never scan, so starting each cursor afresh is enough.
    const starts = anchor ? anchorStarts(text, anchor, anchors, from, to) : undefined;
    const cursor = starts ? anchoredCursor(rule, slice, starts) : globalCursor(rule.pattern, slice);
    let match: RegExpExecArray | null;
    while ((match = cursor.next()) !== null) {
      if (match[0].length === 0) {
        cursor.skipTo(match.index + 1);
        continue;
      }
      const span = groupSpan(match, rule.group);
      if (!span) continue;
      let start = span[0] + from;
      let end = span[1] + from;
      if (from !== 0) match.index += from;
      const candidate: Candidate = { text, value: text.slice(start, end), start, end, match, memo };
      if (rule.keywords && !(hits ? hitBefore(hits, start, rule.keywordWindow ?? 64) : keywordBefore(text, start, rule.keywordWindow ?? 64, rule.keywords))) continue;
      if (rule.minEntropy !== undefined && shannonEntropy(candidate.value) < rule.minEntropy) continue;
      let confidence = rule.confidence;
      let rejected = false;
      for (const validate of rule.validators ?? []) {
        const verdict = validate(candidate);
        if (verdict === false) {
          rejected = true;
          break;
        }
        if (typeof verdict === "number") confidence = verdict;
        else if (typeof verdict === "object") {
          if (verdict.confidence !== undefined) confidence = verdict.confidence;
          if (verdict.start !== undefined) start = verdict.start;
          if (verdict.end !== undefined) end = verdict.end;
        }
      }
      if (rejected || end <= prefix.length) continue;
      start = Math.max(start, prefix.length);
      candidates.push({ start: start - prefix.length, end: end - prefix.length, type: rule.type, category: rule.category, ruleId: rule.id, confidence, priority: rule.priority, value: text.slice(start, end) });
      if (candidates.length >= maxMatches) {
        truncated = true;
        rule.pattern.lastIndex = 0;
        break outer;
      }
      // A widened span (PEM block) resumes the search after it.
      cursor.skipTo(end - from);
    }
    }
  }
  return { matches: resolveOverlaps(candidates), truncated };
}

/**
 * One case-insensitive regular expression per keyword-scoped rule, built
 * on first use: one native pass finds every keyword, where lower-casing the
 * text first copied it (megabytes) and searched it once per keyword.
 * Case-sensitive when no keyword has a letter, which is much faster.
 */
const keywordPatterns = new WeakMap<ScanRule, RegExp>();

function keywordPattern(rule: ScanRule): RegExp {
  let pattern = keywordPatterns.get(rule);
  if (!pattern) {
    const words = [...(rule.keywords ?? [])].sort((a, b) => b.length - a.length);
    pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|"), words.some((w) => /[a-z]/i.test(w)) ? "gi" : "g");
    keywordPatterns.set(rule, pattern);
  }
  return pattern;
}

/** Keyword occurrences in text order: where each starts, and where its shortest keyword there ends. */
interface KeywordHits {
  starts: number[];
  ends: number[];
}

/** Merged windows of `size` characters after each keyword occurrence, and the occurrences. */
function keywordWindows(text: string, rule: ScanRule, size: number): { windows: Array<[number, number]>; hits: KeywordHits } {
  const windows: Array<[number, number]> = [];
  const hits: KeywordHits = { starts: [], ends: [] };
  const words = rule.keywords ?? [];
  if (words.length === 0) return { windows, hits };
  const pattern = keywordPattern(rule);
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const s = match.index;
    // The alternation reports the longest keyword here; a shorter one ending earlier counts for "before".
    let end = s + match[0].length;
    for (const w of words) if (s + w.length < end && text.slice(s, s + w.length).toLowerCase() === w) end = s + w.length;
    hits.starts.push(s);
    hits.ends.push(end);
    const last = windows[windows.length - 1];
    const windowEnd = Math.min(text.length, s + size);
    if (last && s <= last[1]) last[1] = Math.max(last[1], windowEnd);
    else windows.push([s, windowEnd]);
    // A window covers the next `size` characters: keywords inside it only extend it.
    pattern.lastIndex = s + 1;
  }
  return { windows, hits };
}

/**
 * keywordBefore over the occurrences already found: a keyword wholly
 * within the `window` characters before `start`. A binary search, where
 * lower-casing the window for every candidate cost as much as the scan.
 */
function hitBefore(hits: KeywordHits, start: number, window: number): boolean {
  let lo = 0;
  let hi = hits.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits.starts[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0 && hits.starts[i]! >= start - window; i--) if (hits.ends[i]! <= start) return true;
  return false;
}

/**
 * Keeps the highest-priority match of each overlapping set (then the
 * higher confidence, then the longer), so `password=ghp_…` is one GitHub
 * token, not also a generic secret. O(k log k).
 */
export function resolveOverlaps(candidates: TextMatch[]): TextMatch[] {
  if (candidates.length < 2) return candidates;
  const ranked = [...candidates].sort((a, b) => b.priority - a.priority || b.confidence - a.confidence || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: TextMatch[] = []; // sorted by start, non-overlapping
  for (const m of ranked) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < m.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if ((before && before.end > m.start) || (after && after.start < m.end)) continue;
    kept.splice(lo, 0, m);
  }
  return kept;
}
