/**
 * @module Output safety on the way back to the client: scan the tool's
 * result, let the bundle's output policy decide, and pass, redact or
 * withhold it. Findings' values never leave this module; only their types
 * and counts go to the policy and the audit record.
 *
 * A withheld output is kept in the quarantine store for a reviewer. Keeping
 * it is best effort on top of withholding, never instead of it: if the
 * store cannot take it (error, too large), the client still gets the
 * error and the output is dropped.
 */
import type { AuditExtra } from "../core/audit-record.js";
import { describeThrown } from "../core/errors.js";
import type { OutputDecision } from "../core/output-decision.js";
import type { Envelope } from "../core/envelope.js";
import type { PolicyEngine } from "../engine/policy-engine.js";
import { buildOutputInput } from "../output/output-input.js";
import { redactOutput } from "../output/redact.js";
import { scanOutput } from "../output/result-scan.js";
import type { GatewayContext } from "./context.js";

export interface GuardedOutput<T> {
  result: T | { content: unknown[]; isError: true; _meta: Record<string, unknown> };
  verdict: OutputDecision;
  /** Finding counts by type, for the audit record (never values). */
  findings: Record<string, number>;
  /** Quarantine facts for the audit record: the item's id, or why nothing was kept. */
  audit: AuditExtra;
}

type GuardContext = Pick<GatewayContext, "config" | "quarantine" | "logger" | "clock">;

/** Where the original client fetches a released output: beside its MCP endpoint, with its own credentials. */
export const releasedOutputPath = (serverId: string, quarantineId: string): string => `/mcp/${serverId}/quarantine/${quarantineId}`;

export async function guardOutput<T>(ctx: GuardContext, engine: PolicyEngine, result: T, envelope: Envelope, callId: string): Promise<GuardedOutput<T>> {
  const scan = scanOutput(result, { maxBytes: ctx.config.output.max_scan_bytes });
  // Built here from the scan and the envelope, both typed and validated: no second parse.
  const verdict = engine.decideOutputValid(
    buildOutputInput(scan, {
      server: envelope.call.server,
      tool: envelope.call.tool ?? envelope.call.target.name,
      labels: envelope.labels,
      risk_tags: envelope.risk_tags,
      subject: envelope.subject,
    }),
  );
  const findings: Record<string, number> = {};
  for (const finding of scan.findings) findings[finding.type] = (findings[finding.type] ?? 0) + 1;
  if (scan.error !== undefined) findings["scan_error"] = 1;

  if (verdict.decision === "PASS") return { result, verdict, findings, audit: {} };
  if (verdict.decision === "REDACT") {
    const types = new Set(verdict.redact_types);
    // The policy judged each type as a whole, so every finding of a named type goes.
    return { result: redactOutput(result, scan.findings.filter((f) => types.has(f.type)), { minConfidence: 0 }), verdict, findings, audit: {} };
  }

  const kept = await keep(ctx, result, envelope, callId, verdict, findings);
  const text =
    "quarantine_id" in kept
      ? `mcpgov withheld this tool's output: ${verdict.reason} (call id ${callId}). It is held for review as quarantine id ${kept.quarantine_id}; ` +
        `once a reviewer releases it, this client can fetch it with GET ${releasedOutputPath(envelope.call.server, kept.quarantine_id)}.`
      : `mcpgov withheld this tool's output: ${verdict.reason} (call id ${callId}). It could not be kept for review (${kept.quarantine_error}), so it is discarded.`;
  return {
    result: {
      content: [{ type: "text", text }],
      isError: true,
      _meta: { "mcpgov/output": { call_id: callId, decision: verdict.decision, rules: verdict.rules, reason: verdict.reason, bundle: verdict.bundle, ...kept } },
    },
    verdict,
    findings,
    audit: kept,
  };
}

async function keep(
  ctx: GuardContext,
  result: unknown,
  envelope: Envelope,
  callId: string,
  verdict: OutputDecision,
  findings: Record<string, number>,
): Promise<{ quarantine_id: string } | { quarantine_error: string }> {
  try {
    const json = JSON.stringify(result);
    const bytes = Buffer.byteLength(json, "utf8");
    const limit = ctx.config.output.max_held_bytes;
    if (bytes > limit) return { quarantine_error: `the output is ${bytes} bytes, over output.max_held_bytes ${limit}` };
    const item = await ctx.quarantine.hold({
      call_id: callId,
      time: ctx.clock().toISOString(),
      subject: { id: envelope.subject.id, ...(envelope.subject.tenant ? { tenant: envelope.subject.tenant } : {}) },
      server: envelope.call.server,
      tool: envelope.call.tool ?? envelope.call.target.name,
      rules: verdict.rules,
      reason: verdict.reason,
      bundle: { hash: verdict.bundle.hash, revision: verdict.bundle.revision },
      findings,
      result_json: json,
    });
    return { quarantine_id: item.id };
  } catch (error) {
    // The message names the store's problem, never the output (SQLite does not echo bound values).
    ctx.logger.error({ call_id: callId, error: describeThrown(error) }, "quarantine store refused a withheld output; it is dropped");
    return { quarantine_error: "the quarantine store failed" };
  }
}
