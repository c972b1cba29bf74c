/**
 * @module Scans a whole tool output: the text items and embedded text
 * resources of an MCP CallToolResult, its structuredContent, or any JSON
 * document or plain text. Images, audio and blobs are not scanned.
 *
 * Fail-closed contract: `scanOutput` never throws. A scanner fault comes
 * back as `error` (the caller quarantines); an output over `maxBytes` is not
 * scanned and yields one `oversize` finding; more findings than
 * `maxFindings` yield a `finding-limit` finding. Either means "not known to
 * be clean".
 */
import { Buffer } from "node:buffer";
import { describeThrown, McpgovError } from "../core/errors.js";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { type Finding, FINDING_LIMIT_RULE, type FindingLocation, maskedPreview, OVERSIZE_RULE } from "./finding.js";
import type { ScanRule } from "./scan-rule.js";
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
}

/** One string to scan and where its findings are reported. */
interface Target {
  text: string;
  /** Context for the rules (the JSON key a value sits under). */
  contextPrefix?: string;
  locate: (offset: number, length: number) => FindingLocation;
}

/** True for an MCP CallToolResult: an object with a `content` array. */
export function isToolResult(value: unknown): value is { content: unknown[]; structuredContent?: unknown } {
  return typeof value === "object" && value !== null && Array.isArray((value as { content?: unknown }).content);
}

/** Scans a tool result, any other JSON value, or a plain string. Never throws. */
export function scanOutput(output: unknown, options: OutputScanOptions = {}): OutputScanResult {
  const findings: Finding[] = [];
  try {
    const targets = collectTargets(output);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (exceedsBytes(targets, maxBytes)) {
      return { findings: [{ type: "oversize", category: "limit", ruleId: OVERSIZE_RULE, confidence: 1, location: { kind: "output" } }] };
    }
    const rules = options.rules ?? BUILTIN_RULES;
    let budget = options.maxFindings ?? DEFAULT_MAX_MATCHES;
    for (const target of targets) {
      const { matches, truncated } = scanText(target.text, rules, { contextPrefix: target.contextPrefix, maxMatches: budget });
      for (const m of matches) findings.push(toFinding(m, target));
      budget -= matches.length;
      if (truncated || budget <= 0) {
        findings.push({ type: "finding_limit", category: "limit", ruleId: FINDING_LIMIT_RULE, confidence: 1, location: { kind: "output" } });
        break;
      }
    }
    return { findings };
  } catch (thrown) {
    return { findings, error: new McpgovError("output_scan_failed", `output scan failed: ${describeThrown(thrown)}`, { cause: thrown }) };
  }
}

function toFinding(m: TextMatch, target: Target): Finding {
  const preview = maskedPreview(m.value);
  return {
    type: m.type,
    category: m.category,
    ruleId: m.ruleId,
    confidence: m.confidence,
    location: target.locate(m.start, m.end - m.start),
    ...(preview === undefined ? {} : { preview }),
  };
}

function collectTargets(output: unknown): Target[] {
  if (typeof output === "string") return [{ text: output, locate: (offset, length) => ({ kind: "text", offset, length }) }];
  if (!isToolResult(output)) return jsonTargets(output, "");
  const targets: Target[] = [];
  output.content.forEach((item, index) => {
    if (typeof item !== "object" || item === null) return;
    const { type } = item as { type?: unknown };
    if (type === "text" && typeof (item as { text?: unknown }).text === "string") {
      targets.push({ text: (item as { text: string }).text, locate: (offset, length) => ({ kind: "content", index, field: "text", offset, length }) });
    }
    const resource = (item as { resource?: unknown }).resource;
    if (type === "resource" && typeof resource === "object" && resource !== null && typeof (resource as { text?: unknown }).text === "string") {
      targets.push({ text: (resource as { text: string }).text, locate: (offset, length) => ({ kind: "content", index, field: "resource.text", offset, length }) });
    }
  });
  if (output.structuredContent !== undefined) targets.push(...jsonTargets(output.structuredContent, "/structuredContent"));
  return targets;
}

export const escapePointer = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Every string value of a JSON document, with its pointer. Iterative, so a
 * hostile, deeply nested document cannot overflow the stack.
 */
function jsonTargets(root: unknown, base: string): Target[] {
  const targets: Target[] = [];
  const stack: Array<{ value: unknown; pointer: string; key?: string }> = [{ value: root, pointer: base }];
  while (stack.length > 0) {
    const { value, pointer, key } = stack.pop()!;
    if (typeof value === "string") {
      // The key is context ("password": "…") the way it is in JSON text.
      targets.push({ text: value, contextPrefix: key === undefined ? undefined : `${JSON.stringify(key)}: "`, locate: (offset, length) => ({ kind: "json", pointer, offset, length }) });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], pointer: `${pointer}/${i}`, key });
    } else if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        stack.push({ value: v, pointer: `${pointer}/${escapePointer(k)}`, key: k });
      }
    }
  }
  return targets;
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
