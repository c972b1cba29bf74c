/**
 * @module Stage 6, guard: everything a server sends toward a client passes
 * the one egress guard before the client sees it — tool results,
 * resources, prompts, completions, list entries, the upstream's own
 * errors, and the params of a server's sampling or elicitation request.
 * A withheld tool result is a tool error; anything else withheld is a
 * JSON-RPC error (-32003) naming the quarantine id.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { McpMethod } from "../../core/envelope.js";
import type { PayloadKind } from "../../core/output-decision.js";
import { guardPayload, type GuardedPayload, withheldError, withheldToolResult } from "../output-guard.js";
import { refuse, type CallState, type StageResult } from "./state.js";

const KIND_OF: Partial<Record<McpMethod, PayloadKind>> = {
  "tools/call": "tool_result",
  "resources/read": "resource",
  "prompts/get": "prompt",
};

function account(state: CallState, guarded: GuardedPayload<unknown>): CallState["extra"] {
  state.ctx.metrics.recordOutputVerdict(guarded.verdict.decision, state.request.serverId);
  return { ...state.extra, output_verdict: guarded.verdict.decision, findings: guarded.findings, output_rules: guarded.verdict.rules, ...guarded.audit };
}

/**
 * `_meta["mcpgov/…"]` (and `data["mcpgov/…"]` on errors) is where the
 * gateway tells a client what it decided. A server that writes those keys
 * itself would put words in the gateway's mouth (a fake decision, a fake
 * quarantine id), so they are dropped from whatever a server sends.
 */
export function withoutGatewayKeys<T>(payload: T, field: "_meta" | "data"): T {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const inner = (payload as Record<string, unknown>)[field];
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return payload;
  const keys = Object.keys(inner);
  if (!keys.some((k) => k.startsWith("mcpgov/"))) return payload;
  const kept = Object.fromEntries(Object.entries(inner).filter(([k]) => !k.startsWith("mcpgov/")));
  return { ...payload, [field]: kept };
}

export async function guard(state: CallState): Promise<StageResult> {
  const { ctx, engine, envelope, callId, request } = state;
  // A server's request relayed to the client was guarded on the way out; the answer is the client's own.
  if (envelope.call.direction === "server_to_client") return state;
  const sent = withoutGatewayKeys(state.result, "_meta");
  const guarded = await guardPayload(ctx, engine.isolated, sent, envelope, callId, { kind: KIND_OF[request.method] ?? "resource" });
  const extra = account(state, guarded);
  if (guarded.withheld === undefined) return { ...state, result: guarded.payload, extra };
  // The output was withheld: the call ran, so the outcome is still "executed".
  if (request.method === "tools/call") return { ...state, result: withheldToolResult(guarded.withheld), extra };
  return refuse(state, "executed", guarded.withheld.text, { extra, meta: { "mcpgov/output": guarded.withheld.meta }, withheldCode: withheldError(guarded.withheld).code });
}

/** An upstream's JSON-RPC error passes the same guard: its message and data come from a stranger too. */
export async function guardUpstreamError(state: CallState, error: McpError): Promise<McpError> {
  const { ctx, engine, envelope, callId } = state;
  // McpError prefixes "MCP error <code>: " to what the server sent.
  const sent = withoutGatewayKeys(
    { code: error.code, message: error.message.replace(/^MCP error -?\d+: /, ""), ...(error.data !== undefined ? { data: error.data } : {}) },
    "data",
  );
  const guarded = await guardPayload(ctx, engine.isolated, sent, envelope, callId, { kind: "error" });
  if (guarded.withheld !== undefined) {
    const e = withheldError(guarded.withheld, error.code);
    return new McpError(e.code, e.message, e.data);
  }
  if (guarded.verdict.decision === "PASS" && sent.data === error.data) return error;
  return new McpError(error.code, guarded.payload.message, guarded.payload.data);
}

/**
 * A server's sampling or elicitation request goes to the client's model or
 * user: its params are what must pass the guard, before they are sent.
 */
export async function guardServerRequest(state: CallState): Promise<StageResult> {
  const { ctx, engine, envelope, callId } = state;
  const guarded = await guardPayload(ctx, engine.isolated, state.facts.forward, envelope, callId, { kind: "prompt" });
  const extra = account(state, guarded);
  if (guarded.withheld !== undefined) return refuse(state, "blocked", guarded.withheld.text, { extra, meta: { "mcpgov/output": guarded.withheld.meta } });
  return { ...state, facts: { ...state.facts, forward: guarded.payload }, extra };
}
