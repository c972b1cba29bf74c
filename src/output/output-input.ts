/**
 * @module Builds the output policy's input from an output scan: one
 * summary per finding type (count, highest confidence), the scan error as
 * a flag, the binary items left unscanned, what the payload is, and the
 * call context. Pure; values found never reach the policy.
 */
import type { BinarySummary, OutputFindingSummary, OutputPolicyInput, PayloadKind } from "../core/output-decision.js";
import type { Finding } from "./finding.js";

export interface OutputCallContext {
  server: string;
  tool: string;
  labels?: Record<string, string>;
  risk_tags?: string[];
  subject?: OutputPolicyInput["subject"];
  /** What is guarded; a tool result when absent. */
  payload_kind?: PayloadKind;
}

/** Aggregates findings per type, sorted by type so the input never depends on scan order. */
export function summariseFindings(findings: readonly Finding[]): OutputFindingSummary[] {
  const byType = new Map<string, OutputFindingSummary>();
  for (const f of findings) {
    const seen = byType.get(f.type);
    if (seen) {
      seen.count += 1;
      seen.max_confidence = Math.max(seen.max_confidence, f.confidence);
    } else {
      byType.set(f.type, { type: f.type, category: f.category, count: 1, max_confidence: f.confidence });
    }
  }
  return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export function buildOutputInput(scan: { findings: readonly Finding[]; error?: unknown; binary?: BinarySummary }, call: OutputCallContext): OutputPolicyInput {
  return {
    version: "v1",
    findings: summariseFindings(scan.findings),
    scan_error: scan.error !== undefined,
    binary: scan.binary ?? { count: 0, mime_types: [] },
    payload_kind: call.payload_kind ?? "tool_result",
    call: { server: call.server, tool: call.tool },
    labels: call.labels ?? { "mcp.server": call.server, "mcp.tool": call.tool },
    risk_tags: call.risk_tags ?? [],
    ...(call.subject ? { subject: call.subject } : {}),
  };
}
