/**
 * @module Redaction: replaces each finding's span with `[REDACTED:<type>]`
 * wherever the scanner found it: a string value, an object key, or the
 * decoded text of a base64 blob (written back as base64 in the blob's own
 * alphabet). Pure.
 *
 * Guarantees: an output with nothing to redact is returned as the same
 * object; JSON stays valid (only strings change, and a span never splits a
 * JSON escape); a value redacted in one place is redacted everywhere it
 * occurs in the output (so structuredContent and the text that repeats it
 * agree); a text item that was the JSON serialization of structuredContent
 * is regenerated from the redacted structuredContent.
 */
import type { Finding } from "./finding.js";
import { escapePointer, isToolResult } from "./result-scan.js";
import { classifyBlob, encodeBlob } from "./text-blob.js";

/** Findings below this confidence are reported, not redacted (private IPs, Stripe test keys). */
export const DEFAULT_REDACT_CONFIDENCE = 0.5;

export const redactionMark = (type: string): string => `[REDACTED:${type}]`;

interface Span {
  offset: number;
  length: number;
  type: string;
}

export interface RedactOptions {
  minConfidence?: number;
}

/** Values shorter than this are redacted where found, not searched for elsewhere. */
const MIN_PROPAGATED = 6;
/**
 * More distinct values than this are not searched for elsewhere (the cost
 * is a pass over every string): each occurrence was found by the scan
 * anyway; propagation is the safety net for the ones the key context hid.
 */
const MAX_PROPAGATED = 512;

/** Returns `output` with findings redacted; the same object when there is nothing to redact. */
export function redactOutput<T>(output: T, findings: readonly Finding[], options: RedactOptions = {}): T {
  const min = options.minConfidence ?? DEFAULT_REDACT_CONFIDENCE;
  const acted = findings.filter((f) => f.category !== "limit" && f.confidence >= min);
  if (acted.length === 0) return output;
  const removed = new Map<string, string>();
  if (typeof output === "string") {
    return redactText(output, acted.flatMap((f) => (f.location.kind === "text" ? [{ ...f.location, type: f.type }] : [])), removed) as T;
  }
  const edits = pointerEdits(acted);
  if (edits.byPointer.size === 0) return output;
  let redacted = applyEdits(output, edits, "", removed);
  redacted = propagate(redacted, removed);
  if (isToolResult(output) && isToolResult(redacted)) redacted = keepStructuredConsistent(output, redacted);
  return redacted as T;
}

interface PointerEdits {
  /** Spans by pointer, then by part ("value", "key", "decoded"). */
  byPointer: Map<string, Map<string, Span[]>>;
  /** Every pointer on the way to an edit, so untouched subtrees are skipped in O(1). */
  ancestors: Set<string>;
}

function pointerEdits(findings: readonly Finding[]): PointerEdits {
  const byPointer = new Map<string, Map<string, Span[]>>();
  const ancestors = new Set<string>();
  for (const f of findings) {
    const { location } = f;
    let pointer: string;
    let part: string;
    if (location.kind === "content") {
      pointer = `/content/${location.index}/${location.field === "text" ? "text" : "resource/text"}`;
      part = "value";
    } else if (location.kind === "json") {
      pointer = location.pointer;
      part = location.part ?? "value";
    } else continue;
    const parts = byPointer.get(pointer) ?? new Map<string, Span[]>();
    parts.set(part, [...(parts.get(part) ?? []), { offset: location.offset, length: location.length, type: f.type }]);
    byPointer.set(pointer, parts);
    for (let i = pointer.lastIndexOf("/"); i >= 0; i = pointer.lastIndexOf("/", i - 1)) {
      ancestors.add(pointer.slice(0, i));
      if (i === 0) break;
    }
  }
  return { byPointer, ancestors };
}

/** Copies only the path to each changed string or key; everything else is shared with the input. */
function applyEdits(value: unknown, edits: PointerEdits, pointer: string, removed: Map<string, string>, holder?: Record<string, unknown>): unknown {
  const own = edits.byPointer.get(pointer);
  if (typeof value === "string" && own) {
    let out = value;
    const decoded = own.get("decoded");
    if (decoded) {
      const blob = classifyBlob(value, typeof holder?.["mimeType"] === "string" ? holder["mimeType"] : undefined);
      if (blob.kind === "text") out = encodeBlob(redactText(blob.decoded.text, decoded, removed), blob.decoded);
    }
    const spans = own.get("value");
    return spans ? redactText(out, spans, removed) : out;
  }
  if (typeof value !== "object" || value === null || !edits.ancestors.has(pointer)) return value;
  if (Array.isArray(value)) {
    const out = value.map((item, i) => applyEdits(item, edits, `${pointer}/${i}`, removed));
    return out.some((item, i) => item !== value[i]) ? out : value;
  }
  const source = value as Record<string, unknown>;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    const childPointer = `${pointer}/${escapePointer(k)}`;
    const next = applyEdits(v, edits, childPointer, removed, source);
    const keySpans = edits.byPointer.get(childPointer)?.get("key");
    let key = k;
    if (keySpans) {
      key = redactText(k, keySpans, removed);
      // Two keys redacted alike must not collapse into one member.
      for (let n = 2; key !== k && Object.hasOwn(out, key); n++) key = `${redactText(k, keySpans)}#${n}`;
    }
    changed ||= next !== v || key !== k;
    out[key] = next;
  }
  return changed ? out : value;
}

/**
 * Redacts every other occurrence of a removed value, in any string value of
 * the output, as it is and JSON-escaped (a value in structuredContent and
 * the same value inside a text item that serializes it).
 */
function propagate(value: unknown, removed: ReadonlyMap<string, string>): unknown {
  const marks = new Map<string, string>();
  for (const [secret, mark] of removed) {
    if (secret.length < MIN_PROPAGATED) continue;
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), unescapeJson(secret)]) if (form) marks.set(form, mark);
  }
  if (marks.size === 0 || marks.size > MAX_PROPAGATED) return value;
  // One pass per string over every value at once, longest first so a value never leaves a tail of a longer one.
  const pattern = new RegExp([...marks.keys()].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|"), "g");
  const rewrite = (node: unknown): unknown => {
    if (typeof node === "string") {
      pattern.lastIndex = 0;
      return pattern.test(node) ? node.replace(pattern, (found) => marks.get(found) ?? found) : node;
    }
    if (Array.isArray(node)) {
      const out = node.map(rewrite);
      return out.some((item, i) => item !== node[i]) ? out : node;
    }
    if (typeof node !== "object" || node === null) return node;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const next = rewrite(v);
      changed ||= next !== v;
      out[k] = next;
    }
    return changed ? out : node;
  };
  return rewrite(value);
}

function unescapeJson(text: string): string | undefined {
  if (!text.includes("\\")) return undefined;
  try {
    const parsed: unknown = JSON.parse(`"${text}"`);
    return typeof parsed === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A text item that was the JSON serialization of structuredContent is
 * written again from the redacted structuredContent, after the redactions
 * made in the text alone are carried over (parsed back and merged value by
 * value), so neither side keeps what the other removed.
 */
function keepStructuredConsistent<R extends { content: unknown[]; structuredContent?: unknown }>(original: R, redacted: R): R {
  const structured = original.structuredContent;
  if (structured === undefined) return redacted;
  const serializing: Array<[number, number | string | null]> = [];
  original.content.forEach((item, index) => {
    const text = textOf(item);
    const indent = text === undefined ? undefined : serializationOf(text, structured);
    if (indent !== undefined) serializing.push([index, indent]);
  });
  if (serializing.length === 0) return redacted;
  let merged = redacted.structuredContent;
  for (const [index] of serializing) {
    const text = textOf(redacted.content[index]);
    if (text === undefined || text === textOf(original.content[index])) continue;
    try {
      merged = mergeRedactions(structured, merged, JSON.parse(text) as unknown);
    } catch {
      // Unreachable for a redaction of valid JSON; the text item then keeps its own redaction.
    }
  }
  const content = [...redacted.content];
  for (const [index, indent] of serializing) content[index] = { ...(content[index] as object), text: JSON.stringify(merged, null, indent ?? undefined) };
  return { ...redacted, content, structuredContent: merged };
}

/** Per string of `original`: the redacted one of `a` and `b` (a when both are). Any shape mismatch keeps `a`. */
function mergeRedactions(original: unknown, a: unknown, b: unknown): unknown {
  if (typeof original === "string") return a !== original ? a : b;
  if (typeof original !== "object" || original === null || typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a;
  if (Array.isArray(original)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== original.length || b.length !== original.length) return a;
    const out = original.map((item, i) => mergeRedactions(item, a[i], b[i]));
    return out.some((item, i) => item !== a[i]) ? out : a;
  }
  const o = original as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.some((k) => !Object.hasOwn(ra, k) || !Object.hasOwn(rb, k))) return a;
  let changed = false;
  const out: Record<string, unknown> = { ...ra };
  for (const k of keys) {
    out[k] = mergeRedactions(o[k], ra[k], rb[k]);
    changed ||= out[k] !== ra[k];
  }
  return changed ? out : a;
}

function textOf(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null || (item as { type?: unknown }).type !== "text") return undefined;
  const { text } = item as { text?: unknown };
  return typeof text === "string" ? text : undefined;
}

/** The indent with which `text` serializes `value` (null for compact), or undefined when it does not. */
function serializationOf(text: string, value: unknown): number | string | null | undefined {
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return undefined;
  for (const indent of [null, 2, 4, "\t"] as const) {
    if (JSON.stringify(value, null, indent ?? undefined) === text) return indent;
  }
  return undefined;
}

/**
 * Replaces spans (non-overlapping after the scan; overlaps are merged here
 * anyway) with marks, and records each removed value with its mark. A span
 * never splits a backslash escape, so a JSON text stays valid: it is
 * narrowed off a trailing odd run of backslashes and moved off an escaped
 * character.
 */
export function redactText(text: string, spans: readonly Span[], removed?: Map<string, string>): string {
  const sorted = [...spans].sort((a, b) => a.offset - b.offset);
  let out = "";
  let cursor = 0;
  for (const span of sorted) {
    let start = Math.max(span.offset, cursor);
    let end = Math.min(text.length, span.offset + span.length);
    if (oddBackslashesBefore(text, start)) start++;
    while (end > start && oddBackslashesBefore(text, end)) end--;
    if (end <= start) continue;
    const mark = redactionMark(span.type);
    removed?.set(text.slice(start, end), mark);
    out += text.slice(cursor, start) + mark;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Counts at most 4096 backslashes back: enough for any real escape, bounded for hostile runs. */
function oddBackslashesBefore(text: string, index: number): boolean {
  let n = 0;
  for (let i = index - 1; i >= 0 && n < 4096 && text.charCodeAt(i) === 92; i--) n++;
  return n % 2 === 1;
}
