/**
 * @module The output-decision contract: what a bundle's output entrypoint
 * (mcpgov/output/result) reads and returns, and what the engine hands to
 * callers. The input carries finding types, counts and confidences, never
 * the values found.
 */
import { z } from "zod";
import type { BundleRef } from "./decision.js";
import { BundleRefSchema } from "./decision.js";
import { SubjectSchema } from "./envelope.js";

export const OutputDecisionKindSchema = z.enum(["PASS", "REDACT", "QUARANTINE"]);
export type OutputDecisionKind = z.infer<typeof OutputDecisionKindSchema>;

/** Most restrictive last; the Rego output library uses the same order. */
export const OUTPUT_RESTRICTIVENESS: readonly OutputDecisionKind[] = ["PASS", "REDACT", "QUARANTINE"];

export const OutputFindingSummarySchema = z
  .object({
    type: z.string().min(1),
    category: z.enum(["secret", "pii", "limit"]),
    count: z.number().int().positive(),
    max_confidence: z.number().min(0).max(1),
  })
  .strict();
export type OutputFindingSummary = z.infer<typeof OutputFindingSummarySchema>;

/** What a guarded payload is: a tool result, or something else a server sends toward the client. */
export const PayloadKindSchema = z.enum(["tool_result", "resource", "prompt", "error", "notification", "progress"]);
export type PayloadKind = z.infer<typeof PayloadKindSchema>;

/** Base64 items the scanner could not read as text (images, audio, archives): counted, not scanned. */
export const BinarySummarySchema = z
  .object({
    count: z.number().int().nonnegative(),
    mime_types: z.array(z.string()),
  })
  .strict();
export type BinarySummary = z.infer<typeof BinarySummarySchema>;

export const OutputPolicyInputSchema = z
  .object({
    version: z.literal("v1"),
    findings: z.array(OutputFindingSummarySchema),
    scan_error: z.boolean(),
    binary: BinarySummarySchema.default({ count: 0, mime_types: [] }).describe("Binary items that were not scanned; the policy decides whether they may pass."),
    payload_kind: PayloadKindSchema.default("tool_result").describe("What is being guarded: a tool result, a resources/read or prompts/get result, a JSON-RPC error, a notification."),
    call: z.object({ server: z.string(), tool: z.string() }).strict(),
    labels: z.record(z.string(), z.string()).default({}),
    risk_tags: z.array(z.string()).default([]),
    subject: SubjectSchema.optional(),
  })
  .strict()
  .describe("mcpgov output policy input");
export type OutputPolicyInput = z.infer<typeof OutputPolicyInputSchema>;

/** What the bundle's output entrypoint must return. Anything else quarantines. */
export const OutputPolicyResultSchema = z
  .object({
    decision: OutputDecisionKindSchema,
    rules: z.array(z.string().min(1)).min(1),
    reason: z.string().min(1),
    matched: z.array(z.object({ rule: z.string(), decision: OutputDecisionKindSchema })).default([]),
    redact_types: z.array(z.string()).default([]),
  })
  .strict();
export type OutputPolicyResult = z.infer<typeof OutputPolicyResultSchema>;

export const OutputFailClosedKindSchema = z.enum(["invalid_input", "missing_entrypoint", "evaluation_error", "undefined_result", "invalid_result", "timeout"]);
export type OutputFailClosedKind = z.infer<typeof OutputFailClosedKindSchema>;

export const OutputDecisionSchema = OutputPolicyResultSchema.extend({
  bundle: BundleRefSchema,
  fail_closed: OutputFailClosedKindSchema.optional().describe("Set when the engine quarantined because the output policy could not decide."),
}).describe("mcpgov output decision");
export type OutputDecision = z.infer<typeof OutputDecisionSchema>;

const FAIL_CLOSED_TEXT: Record<OutputFailClosedKind, string> = {
  invalid_input: "the output policy input is invalid",
  missing_entrypoint: "the bundle has no output policy",
  evaluation_error: "output policy evaluation failed",
  undefined_result: "the output policy returned no decision (undefined result)",
  invalid_result: "the output policy result does not match the output decision schema",
  timeout: "output policy evaluation exceeded its deadline",
};

/** A QUARANTINE that says why the output policy could not decide. Never a PASS. */
export function outputFailClosed(kind: OutputFailClosedKind, detail: string, bundle: BundleRef): OutputDecision {
  const rule = `mcpgov.output.fail-closed.${kind}`;
  return {
    decision: "QUARANTINE",
    rules: [rule],
    reason: `${rule}: quarantined because ${FAIL_CLOSED_TEXT[kind]}${detail ? `: ${detail}` : ""}`,
    matched: [],
    redact_types: [],
    bundle,
    fail_closed: kind,
  };
}

/** Whether a scan can be trusted to be complete: no scanner error, no limit (oversize, finding_limit) reached. */
export interface ScanIntegrity {
  scanError: boolean;
  /** Types of the limit findings (oversize, finding_limit). */
  limits: readonly string[];
}

export const SCAN_ERROR_RULE = "mcpgov.output.scan-error";
export const NOT_FULLY_SCANNED_RULE = "mcpgov.output.not-fully-scanned";

/**
 * The gateway's own fail-closed floor under the output policy: a scan that
 * failed or stopped short quarantines, whatever the policy said. The Rego
 * library does the same; this holds for a policy that does not use it (or
 * an engine that is wrong), since only a complete scan can show an output
 * is clean.
 */
export function enforceScanIntegrity(verdict: OutputDecision, scan: ScanIntegrity): OutputDecision {
  if (verdict.decision === "QUARANTINE" || (!scan.scanError && scan.limits.length === 0)) return verdict;
  const rule = scan.scanError ? SCAN_ERROR_RULE : NOT_FULLY_SCANNED_RULE;
  const why = scan.scanError ? "the output scan failed" : `the output was not fully scanned (${[...new Set(scan.limits)].sort().join(", ")})`;
  return {
    ...verdict,
    decision: "QUARANTINE",
    rules: [rule],
    reason: `${rule}: ${why}, so the output is not known to be clean (the output policy said ${verdict.decision})`,
    matched: [...verdict.matched, { rule, decision: "QUARANTINE" }],
    redact_types: [],
  };
}
