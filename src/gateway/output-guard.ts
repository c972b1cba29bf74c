/**
 * @module Output safety on the way back to the client: scan the tool's
 * result, let the bundle's output policy decide, and pass, redact or
 * withhold it. Findings' values never leave this module; only their types
 * and counts go to the policy and the audit record.
 */
import type { OutputDecision } from "../core/output-decision.js";
import type { Envelope } from "../core/envelope.js";
import type { PolicyEngine } from "../engine/policy-engine.js";
import { buildOutputInput } from "../output/output-input.js";
import { redactOutput } from "../output/redact.js";
import { scanOutput } from "../output/result-scan.js";

export interface GuardedOutput<T> {
  result: T | { content: unknown[]; isError: true; _meta: Record<string, unknown> };
  verdict: OutputDecision;
  /** Finding counts by type, for the audit record (never values). */
  findings: Record<string, number>;
}

export function guardOutput<T>(engine: PolicyEngine, result: T, envelope: Envelope, callId: string): GuardedOutput<T> {
  const scan = scanOutput(result);
  const verdict = engine.decideOutput(
    buildOutputInput(scan, {
      server: envelope.call.server,
      tool: envelope.call.tool,
      labels: envelope.labels,
      risk_tags: envelope.risk_tags,
      subject: envelope.subject,
    }),
  );
  const findings: Record<string, number> = {};
  for (const finding of scan.findings) findings[finding.type] = (findings[finding.type] ?? 0) + 1;
  if (scan.error !== undefined) findings["scan_error"] = 1;

  if (verdict.decision === "PASS") return { result, verdict, findings };
  if (verdict.decision === "REDACT") {
    const types = new Set(verdict.redact_types);
    // The policy judged each type as a whole, so every finding of a named type goes.
    return { result: redactOutput(result, scan.findings.filter((f) => types.has(f.type)), { minConfidence: 0 }), verdict, findings };
  }
  return {
    result: {
      content: [{ type: "text", text: `mcpgov withheld this tool's output: ${verdict.reason} (call id ${callId})` }],
      isError: true,
      _meta: { "mcpgov/output": { call_id: callId, decision: verdict.decision, rules: verdict.rules, reason: verdict.reason, bundle: verdict.bundle } },
    },
    verdict,
    findings,
  };
}
