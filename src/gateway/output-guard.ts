/**
 * @module Output safety on the way back to the client, for everything a
 * server sends toward it: scan the payload (a tool result, a resources/read
 * or prompts/get result, a JSON-RPC error, notification params), let the
 * bundle's output policy decide, and pass, redact or withhold it. Findings'
 * values never leave this module; only their types and counts go to the
 * policy and the audit record.
 *
 * A scan that failed or stopped short (oversize, finding limit) withholds
 * the payload whatever the policy said: enforceScanIntegrity is the floor
 * under any policy, hostile or buggy.
 *
 * A withheld payload is kept in the quarantine store for a reviewer.
 * Keeping it is best effort on top of withholding, never instead of it: if
 * the store cannot take it (error, too large), the client still gets the
 * error and the payload is dropped.
 *
 * How a caller surfaces a withheld payload (`guardPayload(...).withheld`):
 * - tool_result: send `withheldToolResult(withheld)` (an isError result), as
 *   `guardOutput` does;
 * - resource, prompt: answer the request with the JSON-RPC error
 *   `withheldError(withheld)` (throw `new McpError(code, message, data)`);
 * - error: send `withheldError(withheld, original.code)` in place of the
 *   server's error;
 * - progress: send `withheldProgress(original, withheld)`: the progress
 *   numbers and token pass, the message is replaced;
 * - notification: send `withheldNotification(original, withheld)` (a
 *   warning that names the quarantine id) or drop the notification.
 */
import type { AuditExtra } from "../core/audit-record.js";
import { describeThrown } from "../core/errors.js";
import { enforceScanIntegrity, type OutputDecision, type PayloadKind } from "../core/output-decision.js";
import type { Envelope } from "../core/envelope.js";
import type { AsyncPolicyEngine, PolicyEngine } from "../engine/policy-engine.js";
import { buildOutputInput } from "../output/output-input.js";
import { redactOutput } from "../output/redact.js";
import { scanOutput } from "../output/result-scan.js";
import type { GatewayContext } from "./context.js";

export type { PayloadKind } from "../core/output-decision.js";

/** JSON-RPC error code of a request whose result mcpgov withheld (resources/read, prompts/get). */
export const OUTPUT_WITHHELD_ERROR_CODE = -32003;

/** What the client is told instead of a withheld payload, and where a reviewer finds it. */
export interface Withheld {
  text: string;
  /** `_meta["mcpgov/output"]` / error data: call id, decision, rules, reason, bundle, quarantine id or error. */
  meta: Record<string, unknown>;
  quarantine_id?: string;
  quarantine_error?: string;
}

interface GuardFacts {
  verdict: OutputDecision;
  /** Finding counts by type, for the audit record (never values). */
  findings: Record<string, number>;
  /** Quarantine facts for the audit record: the item's id, or why nothing was kept. */
  audit: AuditExtra;
}

/** The payload to send (as it was, or redacted), or what to say instead of it. */
export type GuardedPayload<T> = GuardFacts & ({ payload: T; withheld?: undefined } | { payload?: undefined; withheld: Withheld });

export interface GuardedOutput<T> extends GuardFacts {
  result: T | { content: unknown[]; isError: true; _meta: Record<string, unknown> };
}

/** Who decides the output policy: in-process, or in a policy worker under the deadline (the gateway). */
export type OutputJudge = Pick<PolicyEngine, "decideOutputValid"> | Pick<AsyncPolicyEngine, "decideOutputValid">;

type GuardContext = Pick<GatewayContext, "config" | "quarantine" | "logger" | "clock">;

export interface GuardOptions {
  /** What the payload is; a tool result when absent. The policy sees it as `payload_kind`. */
  kind?: PayloadKind;
}

/** Where the original client fetches a released output: beside its MCP endpoint, with its own credentials. */
export const releasedOutputPath = (serverId: string, quarantineId: string): string => `/mcp/${serverId}/quarantine/${quarantineId}`;

const NOUN: Record<PayloadKind, string> = {
  tool_result: "this tool's output",
  resource: "this resource",
  prompt: "this prompt",
  error: "this server error",
  notification: "this server notification",
  progress: "this progress message",
};

/** Guards any payload a server sends toward the client. Never throws for a bad payload: it withholds it. */
export async function guardPayload<T>(ctx: GuardContext, engine: OutputJudge, payload: T, envelope: Envelope, callId: string, options: GuardOptions = {}): Promise<GuardedPayload<T>> {
  const kind = options.kind ?? "tool_result";
  const scan = scanOutput(payload, { maxBytes: ctx.config.output.max_scan_bytes });
  // Built here from the scan and the envelope, both typed and validated: no second parse.
  const decided = await engine.decideOutputValid(
    buildOutputInput(scan, {
      server: envelope.call.server,
      tool: envelope.call.tool ?? envelope.call.target.name,
      labels: envelope.labels,
      risk_tags: envelope.risk_tags,
      subject: envelope.subject,
      payload_kind: kind,
    }),
  );
  const verdict = enforceScanIntegrity(decided, { scanError: scan.error !== undefined, limits: scan.findings.filter((f) => f.category === "limit").map((f) => f.type) });
  const findings: Record<string, number> = {};
  for (const finding of scan.findings) findings[finding.type] = (findings[finding.type] ?? 0) + 1;
  if (scan.error !== undefined) findings["scan_error"] = 1;
  if (scan.binary.count > 0) findings["binary_unscanned"] = scan.binary.count;

  if (verdict.decision === "PASS") return { payload, verdict, findings, audit: {} };
  if (verdict.decision === "REDACT") {
    const types = new Set(verdict.redact_types);
    try {
      // The policy judged each type as a whole, so every finding of a named type goes.
      return { payload: redactOutput(payload, scan.findings.filter((f) => types.has(f.type)), { minConfidence: 0 }), verdict, findings, audit: {} };
    } catch (error) {
      // A payload too deep to rewrite: what cannot be redacted is withheld.
      ctx.logger.error({ call_id: callId, error: describeThrown(error) }, "redaction failed; the payload is withheld");
      return withhold(ctx, payload, envelope, callId, kind, redactionFailed(verdict), findings);
    }
  }
  return withhold(ctx, payload, envelope, callId, kind, verdict, findings);
}

const REDACTION_FAILED_RULE = "mcpgov.output.redaction-failed";

function redactionFailed(verdict: OutputDecision): OutputDecision {
  return { ...verdict, decision: "QUARANTINE", rules: [REDACTION_FAILED_RULE], reason: `${REDACTION_FAILED_RULE}: the output policy said REDACT, but the payload could not be redacted`, redact_types: [] };
}

async function withhold<T>(ctx: GuardContext, payload: T, envelope: Envelope, callId: string, kind: PayloadKind, verdict: OutputDecision, findings: Record<string, number>): Promise<GuardedPayload<T>> {
  const kept = await keep(ctx, payload, envelope, callId, verdict, findings);
  const noun = NOUN[kind];
  const text =
    "quarantine_id" in kept
      ? `mcpgov withheld ${noun}: ${verdict.reason} (call id ${callId}). It is held for review as quarantine id ${kept.quarantine_id}; ` +
        `once a reviewer releases it, this client can fetch it with GET ${releasedOutputPath(envelope.call.server, kept.quarantine_id)}.`
      : `mcpgov withheld ${noun}: ${verdict.reason} (call id ${callId}). It could not be kept for review (${kept.quarantine_error}), so it is discarded.`;
  const meta = { call_id: callId, decision: verdict.decision, rules: verdict.rules, reason: verdict.reason, bundle: verdict.bundle, ...kept };
  return { withheld: { text, meta, ...kept }, verdict, findings, audit: kept };
}

/** Guards a tool result; a withheld one becomes an isError result that says why. */
export async function guardOutput<T>(ctx: GuardContext, engine: OutputJudge, result: T, envelope: Envelope, callId: string): Promise<GuardedOutput<T>> {
  const guarded = await guardPayload(ctx, engine, result, envelope, callId, { kind: "tool_result" });
  const { verdict, findings, audit } = guarded;
  if (guarded.withheld) return { result: withheldToolResult(guarded.withheld), verdict, findings, audit };
  return { result: guarded.payload, verdict, findings, audit };
}

/** The tool result a client gets in place of a withheld one. */
export function withheldToolResult(withheld: Withheld): { content: unknown[]; isError: true; _meta: Record<string, unknown> } {
  return { content: [{ type: "text", text: withheld.text }], isError: true, _meta: { "mcpgov/output": withheld.meta } };
}

/** The JSON-RPC error a client gets in place of a withheld result (resources/read, prompts/get) or a withheld server error. */
export function withheldError(withheld: Withheld, code: number = OUTPUT_WITHHELD_ERROR_CODE): { code: number; message: string; data: Record<string, unknown> } {
  return { code, message: withheld.text, data: { "mcpgov/output": withheld.meta } };
}

/** notifications/progress params with the message withheld: the token and the numbers pass. */
export function withheldProgress(original: unknown, withheld: Withheld): Record<string, unknown> {
  const params = typeof original === "object" && original !== null ? (original as Record<string, unknown>) : {};
  const out: Record<string, unknown> = { message: withheld.text };
  for (const key of ["progressToken", "progress", "total"]) {
    const value = params[key];
    if (typeof value === "number" || (key === "progressToken" && typeof value === "string")) out[key] = value;
  }
  return out;
}

/** notifications/message params in place of a withheld notification: a warning that says what happened. */
export function withheldNotification(original: unknown, withheld: Withheld): Record<string, unknown> {
  void original; // nothing of the original is kept: its level and logger name were scanned with it
  return { level: "warning", logger: "mcpgov", data: { message: withheld.text, "mcpgov/output": withheld.meta } };
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
    const json = JSON.stringify(result) ?? "null";
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
