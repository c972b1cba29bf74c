/**
 * @module Stage 6, guard: everything the recipient answered passes the one
 * egress guard before the client sees it — tool results, resources,
 * prompts, completions, list entries, and the upstream's own errors.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { guardOutput } from "../output-guard.js";
import { refuse, type CallState, type StageResult } from "./state.js";

export async function guard(state: CallState): Promise<StageResult> {
  const { ctx, engine, envelope, callId, request } = state;
  // A server's request relayed to the client: the answer is the client's own, going to the server.
  if (envelope.call.direction === "server_to_client") return state;
  const guarded = await guardOutput(ctx, engine, state.result, envelope, callId);
  ctx.metrics.outputVerdicts.inc({ verdict: guarded.verdict.decision, server: request.serverId });
  const extra = { ...state.extra, output_verdict: guarded.verdict.decision, findings: guarded.findings, output_rules: guarded.verdict.rules, ...guarded.audit };
  if (request.method !== "tools/call" && guarded.verdict.decision === "QUARANTINE") {
    // Only a tool result has an error form of its own; any other answer is withheld as a JSON-RPC error.
    const withheld = guarded.result as { content?: { text?: string }[]; _meta?: Record<string, unknown> };
    const text = withheld.content?.[0]?.text ?? `mcpgov withheld this ${request.method} result (call id ${callId})`;
    return refuse(state, "executed", text, { extra, meta: withheld._meta ?? {} });
  }
  return { ...state, result: guarded.result, extra };
}

/** An upstream's JSON-RPC error passes the same guard: its message and data come from a stranger too. */
export async function guardUpstreamError(state: CallState, error: McpError): Promise<McpError> {
  const { ctx, engine, envelope, callId } = state;
  const payload = { content: [{ type: "text", text: error.message }], structuredContent: { data: error.data ?? null } };
  const guarded = await guardOutput(ctx, engine, payload, envelope, callId);
  if (guarded.verdict.decision === "PASS") return error;
  const out = guarded.result as { content: { text?: string }[]; structuredContent?: { data?: unknown } };
  const message = out.content[0]?.text ?? "upstream error withheld by mcpgov";
  // McpError prefixes "MCP error <code>: "; the guarded text already carries it.
  const stripped = message.replace(/^MCP error -?\d+: /, "");
  return new McpError(error.code, stripped, guarded.verdict.decision === "REDACT" ? out.structuredContent?.data : undefined);
}

/**
 * A server's sampling or elicitation request goes to the client's model or
 * user: its params are what must pass the guard, before they are sent.
 */
export async function guardServerRequest(state: CallState): Promise<StageResult> {
  const { ctx, engine, envelope, callId, request } = state;
  const guarded = await guardOutput(ctx, engine, state.facts.forward, envelope, callId);
  ctx.metrics.outputVerdicts.inc({ verdict: guarded.verdict.decision, server: request.serverId });
  const extra = { ...state.extra, output_verdict: guarded.verdict.decision, findings: guarded.findings, output_rules: guarded.verdict.rules, ...guarded.audit };
  if (guarded.verdict.decision === "QUARANTINE") {
    const withheld = guarded.result as { content?: { text?: string }[]; _meta?: Record<string, unknown> };
    const text = withheld.content?.[0]?.text ?? `mcpgov withheld this ${request.method} (call id ${callId})`;
    return refuse(state, "blocked", text, { extra, meta: withheld._meta ?? {} });
  }
  return { ...state, facts: { ...state.facts, forward: guarded.result as Record<string, unknown> }, extra };
}
