/**
 * @module Scans everything a server sends toward a client: every string
 * anywhere in a JSON value (tool results, resources/read and prompts/get
 * results, JSON-RPC errors, notification params, any unknown key), object
 * keys that could hold a value, and the decoded text of text-bearing base64
 * blobs. Each string is matched in its normalised form (invisible
 * characters removed, NFKC) and reported over its original span. Binary
 * blobs are not scanned; they are counted for the output policy.
 *
 * Fail-closed contract: `scanOutput` never throws. A scanner fault comes
 * back as `error` (the caller quarantines); an output over `maxBytes` is not
 * scanned and yields one `oversize` finding; more findings than
 * `maxFindings` yield a `finding-limit` finding. Either means "not known to
 * be clean".
 */
import { Buffer } from "node:buffer";
import { describeThrown, McpgovError } from "../core/errors.js";
import type { BinarySummary } from "../core/output-decision.js";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { type Finding, FINDING_LIMIT_RULE, type FindingLocation, maskedPreview, OVERSIZE_RULE } from "./finding.js";
import { normaliseForMatching, originalSpan } from "./normalise.js";
import type { ScanRule } from "./scan-rule.js";
import { classifyBlob } from "./text-blob.js";
import { DEFAULT_MAX_MATCHES, scanText, type TextMatch } from "./text-scan.js";

export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface OutputScanOptions {
  rules?: readonly ScanRule[];
  /** Outputs whose scanned text exceeds this many UTF-8 bytes are not scanned (oversize finding). */
  maxBytes?: number;
  maxFindings?: number;
}

export interface OutputScanResult {
  findings: Finding[];
  /** Set when the scan failed; `findings` is then incomplete and the output must not pass. */
  error?: McpgovError;
  /** Base64 items that were not scanned because they are not text: how many, and their distinct types (sorted). */
  binary: BinarySummary;
}

/** One string to scan and where its findings are reported. */
interface Target {
  text: string;
  /** Context for the rules (the JSON key a value sits under). */
  contextPrefix?: string;
  location: (offset: number, length: number) => FindingLocation;
}

/** True for an MCP CallToolResult: an object with a `content` array. */
export function isToolResult(value: unknown): value is { content: unknown[]; structuredContent?: unknown } {
  return typeof value === "object" && value !== null && Array.isArray((value as { content?: unknown }).content);
}

/** Scans a tool result, any other JSON value, or a plain string. Never throws. */
export function scanOutput(output: unknown, options: OutputScanOptions = {}): OutputScanResult {
  const findings: Finding[] = [];
  const binary = new BinaryCounter();
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const targets = collectTargets(output, binary, maxBytes);
    if (targets === undefined || exceedsBytes(targets, maxBytes)) {
      return { findings: [{ type: "oversize", category: "limit", ruleId: OVERSIZE_RULE, confidence: 1, location: { kind: "output" } }], binary: binary.summary() };
    }
    const rules = options.rules ?? BUILTIN_RULES;
    let budget = options.maxFindings ?? DEFAULT_MAX_MATCHES;
    for (const target of targets) {
      const normalised = normaliseForMatching(target.text);
      const { matches, truncated } = scanText(normalised.text, rules, { contextPrefix: target.contextPrefix, maxMatches: budget });
      for (const m of matches) {
        const [start, end] = originalSpan(normalised, m.start, m.end);
        findings.push(toFinding(m, target.location(start, end - start)));
      }
      budget -= matches.length;
      if (truncated || budget <= 0) {
        findings.push({ type: "finding_limit", category: "limit", ruleId: FINDING_LIMIT_RULE, confidence: 1, location: { kind: "output" } });
        break;
      }
    }
    return { findings, binary: binary.summary() };
  } catch (thrown) {
    return { findings, binary: binary.summary(), error: new McpgovError("output_scan_failed", `output scan failed: ${describeThrown(thrown)}`, { cause: thrown }) };
  }
}

function toFinding(m: TextMatch, location: FindingLocation): Finding {
  const preview = maskedPreview(m.value);
  return { type: m.type, category: m.category, ruleId: m.ruleId, confidence: m.confidence, location, ...(preview === undefined ? {} : { preview }) };
}

class BinaryCounter {
  count = 0;
  private readonly types = new Set<string>();

  add(mimeType: string): void {
    this.count++;
    this.types.add(mimeType);
  }

  summary(): BinarySummary {
    return { count: this.count, mime_types: [...this.types].sort() };
  }
}

export const escapePointer = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Keys made only of letters, `_`, `-`, `$` and `.` (almost every key) hold
 * nothing a rule reports; the rest (digits, `@`, `:`, `=`…) are scanned.
 */
const PLAIN_KEY = /^[A-Za-z_$.-]*$/;

/** At most seven letters (and `_`, `-`): shorter than any value a rule reports. */
const TRIVIAL_VALUE = /^[A-Za-z_-]{0,7}$/;

/** The two strings of a tool result that earlier versions located by content index; kept for reports and callers. */
const CONTENT_TEXT = /^\/content\/(\d+)\/(text|resource\/text)$/;

/** Whether an object's `key` holds a base64 blob: a resource's `blob`, or the `data` of typed (image, audio) content. */
function blobMime(holder: Record<string, unknown>, key: string): string | undefined | null {
  if (key !== "blob" && key !== "data") return null;
  const mime = typeof holder["mimeType"] === "string" ? holder["mimeType"] : undefined;
  if (key === "data" && mime === undefined && holder["type"] !== "image" && holder["type"] !== "audio") return null;
  return mime;
}

/**
 * Every string to scan, in document order, or undefined as soon as their
 * length alone is over `maxBytes`. Iterative, so a hostile, deeply nested
 * document cannot overflow the stack.
 */
function collectTargets(root: unknown, binary: BinaryCounter, maxBytes: number): Target[] | undefined {
  if (typeof root === "string") return [{ text: root, location: (offset, length) => ({ kind: "text", offset, length }) }];
  const legacy = isToolResult(root);
  const targets: Target[] = [];
  let units = 0;
  const add = (target: Target): boolean => {
    targets.push(target);
    units += target.text.length;
    return units <= maxBytes;
  };
  const stack: Array<{ value: unknown; pointer: string; key?: string; member: boolean }> = [{ value: root, pointer: "", member: false }];
  while (stack.length > 0) {
    const { value, pointer, key, member } = stack.pop()!;
    if (member && key !== undefined && !PLAIN_KEY.test(key)) {
      if (!add({ text: key, location: (offset, length) => ({ kind: "json", pointer, part: "key", offset, length }) })) return undefined;
    }
    if (typeof value === "string") {
      // A short plain word ("text", "image", "info") holds nothing a rule reports: no scan, which costs a few µs per string.
      if (TRIVIAL_VALUE.test(value)) continue;
      const content = legacy ? CONTENT_TEXT.exec(pointer) : null;
      const target: Target = content
        ? { text: value, location: (offset, length) => ({ kind: "content", index: Number(content[1]), field: content[2] === "text" ? "text" : "resource.text", offset, length }) }
        : // The key is context ("password": "…") the way it is in JSON text.
          { text: value, contextPrefix: key === undefined ? undefined : `${JSON.stringify(normaliseForMatching(key).text)}: "`, location: (offset, length) => ({ kind: "json", pointer, offset, length }) };
      if (!add(target)) return undefined;
    } else if (value instanceof DecodedText) {
      if (!add({ text: value.text, location: (offset, length) => ({ kind: "json", pointer, part: "decoded", offset, length }) })) return undefined;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], pointer: `${pointer}/${i}`, key, member: false });
    } else if (typeof value === "object" && value !== null) {
      const holder = value as Record<string, unknown>;
      const entries = Object.entries(holder);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        const childPointer = `${pointer}/${escapePointer(k)}`;
        let child: unknown = v;
        const mime = typeof v === "string" ? blobMime(holder, k) : null;
        if (mime !== null) {
          const blob = classifyBlob(v as string, mime, maxBytes - units);
          if (blob.kind === "oversize") return undefined;
          if (blob.kind === "binary") {
            binary.add(blob.mimeType);
            child = undefined; // not scanned; the key still is
          } else if (blob.kind === "text") {
            child = new DecodedText(blob.decoded.text);
          }
        }
        stack.push({ value: child, pointer: childPointer, key: k, member: true });
      }
    }
  }
  return targets;
}

/** Decoded text of a blob, on the walk's stack; never part of a document. */
class DecodedText {
  constructor(readonly text: string) {}
}

/**
 * UTF-8 size of the scanned strings, counted only as far as needed to decide.
 * Buffer.byteLength counts natively (a JavaScript loop over each code unit
 * cost as much as a third of a clean-text scan); it counts a lone surrogate
 * as three bytes, one more than it will take, which errs towards "oversize".
 */
function exceedsBytes(targets: readonly Target[], maxBytes: number): boolean {
  let units = 0;
  for (const t of targets) units += t.text.length;
  if (units > maxBytes) return true;
  if (units * 3 <= maxBytes) return false;
  let bytes = 0;
  for (const t of targets) {
    bytes += Buffer.byteLength(t.text, "utf8");
    if (bytes > maxBytes) return true;
  }
  return false;
}
