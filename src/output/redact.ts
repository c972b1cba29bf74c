/**
 * @module Redaction: replaces each finding's span with `[REDACTED:<type>]`
 * in text items, embedded text resources and the string values of
 * structuredContent (or any JSON document). Pure.
 *
 * Guarantees: an output with nothing to redact is returned as the same
 * object; JSON stays valid (only string values change, and a span never
 * splits a JSON escape); a text item that was the JSON serialization of
 * structuredContent is regenerated from the redacted structuredContent, so
 * the two still agree.
 */
import type { Finding } from "./finding.js";
import { escapePointer, isToolResult } from "./result-scan.js";

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

/** Returns `output` with findings redacted; the same object when there is nothing to redact. */
export function redactOutput<T>(output: T, findings: readonly Finding[], options: RedactOptions = {}): T {
  const min = options.minConfidence ?? DEFAULT_REDACT_CONFIDENCE;
  const acted = findings.filter((f) => f.category !== "limit" && f.confidence >= min);
  if (acted.length === 0) return output;
  if (typeof output === "string") {
    return redactText(output, acted.flatMap((f) => (f.location.kind === "text" ? [{ ...f.location, type: f.type }] : []))) as T;
  }
  if (!isToolResult(output)) return redactJson(output, jsonSpans(acted, "")) as T;
  return redactToolResult(output, acted) as T;
}

function redactToolResult<R extends { content: unknown[]; structuredContent?: unknown }>(result: R, findings: readonly Finding[]): R {
  const structured = result.structuredContent;
  let redactedStructured = structured === undefined ? undefined : redactJson(structured, jsonSpans(findings, "/structuredContent"));
  const textSpans = new Map<string, Span[]>();
  for (const f of findings) {
    if (f.location.kind !== "content") continue;
    const key = `${f.location.index}:${f.location.field}`;
    textSpans.set(key, [...(textSpans.get(key) ?? []), { offset: f.location.offset, length: f.location.length, type: f.type }]);
  }

  // A secret found only in the serialized text still reaches structuredContent: the redacted text is parsed back.
  if (structured !== undefined && redactedStructured === structured) {
    result.content.forEach((item, index) => {
      const text = textOf(item);
      const spans = textSpans.get(`${index}:text`);
      if (text === undefined || !spans || serializationOf(text, structured) === undefined) return;
      try {
        redactedStructured = JSON.parse(redactText(text, spans)) as unknown;
      } catch {
        // Left as it was: the text item is redacted by its own spans below.
      }
    });
  }

  let changed = redactedStructured !== structured;
  const content = result.content.map((item, index) => {
    const text = textOf(item);
    if (text !== undefined) {
      const indent = changed && structured !== undefined ? serializationOf(text, structured) : undefined;
      if (indent !== undefined) return { ...(item as object), text: JSON.stringify(redactedStructured, null, indent ?? undefined) };
      const spans = textSpans.get(`${index}:text`);
      if (spans) return { ...(item as object), text: redactText(text, spans) };
    }
    const spans = textSpans.get(`${index}:resource.text`);
    const resource = (item as { resource?: { text?: unknown } }).resource;
    if (spans && resource && typeof resource.text === "string") return { ...(item as object), resource: { ...resource, text: redactText(resource.text, spans) } };
    return item;
  });
  changed ||= content.some((item, index) => item !== result.content[index]);
  if (!changed) return result;
  return { ...result, content, ...(structured === undefined ? {} : { structuredContent: redactedStructured }) };
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

interface PointerSpans {
  byPointer: Map<string, Span[]>;
  /** Every pointer on the way to a span, so untouched subtrees are skipped in O(1). */
  ancestors: Set<string>;
}

function jsonSpans(findings: readonly Finding[], base: string): PointerSpans {
  const byPointer = new Map<string, Span[]>();
  const ancestors = new Set<string>();
  for (const f of findings) {
    if (f.location.kind !== "json" || !(f.location.pointer === base || f.location.pointer.startsWith(`${base}/`))) continue;
    const pointer = f.location.pointer.slice(base.length);
    byPointer.set(pointer, [...(byPointer.get(pointer) ?? []), { offset: f.location.offset, length: f.location.length, type: f.type }]);
    for (let i = pointer.lastIndexOf("/"); i >= 0; i = pointer.lastIndexOf("/", i - 1)) {
      ancestors.add(pointer.slice(0, i));
      if (i === 0) break;
    }
  }
  return { byPointer, ancestors };
}

/** Copies only the path to each changed string; everything else is shared with the input. */
function redactJson(value: unknown, spans: PointerSpans, pointer = ""): unknown {
  if (typeof value === "string") {
    const own = spans.byPointer.get(pointer);
    return own ? redactText(value, own) : value;
  }
  if (typeof value !== "object" || value === null || !spans.ancestors.has(pointer)) return value;
  if (Array.isArray(value)) {
    const out = value.map((item, i) => redactJson(item, spans, `${pointer}/${i}`));
    return out.some((item, i) => item !== value[i]) ? out : value;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const next = redactJson(v, spans, `${pointer}/${escapePointer(k)}`);
    changed ||= next !== v;
    out[k] = next;
  }
  return changed ? out : value;
}

/**
 * Replaces spans (non-overlapping after the scan; overlaps are merged here
 * anyway) with marks. A span never splits a backslash escape, so a JSON
 * text stays valid: it is narrowed off a trailing odd run of backslashes
 * and moved off an escaped character.
 */
export function redactText(text: string, spans: readonly Span[]): string {
  const sorted = [...spans].sort((a, b) => a.offset - b.offset);
  let out = "";
  let cursor = 0;
  for (const span of sorted) {
    let start = Math.max(span.offset, cursor);
    let end = Math.min(text.length, span.offset + span.length);
    if (oddBackslashesBefore(text, start)) start++;
    while (end > start && oddBackslashesBefore(text, end)) end--;
    if (end <= start) continue;
    out += text.slice(cursor, start) + redactionMark(span.type);
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
