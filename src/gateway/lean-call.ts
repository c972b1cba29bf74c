/**
 * @module The lean path for the hot request: a single `tools/call` POSTed
 * on an established Streamable HTTP session is governed and answered with
 * a plain `application/json` response, without the SDK server and its SSE
 * stream (about half of the gateway's CPU per call before).
 *
 * Only requests whose answer cannot differ between the paths take it; the
 * rest go to the session's SDK transport as before:
 * - progress requested (`_meta.progressToken`): progress needs the SSE stream;
 * - the client declared sampling or elicitation: a server's request during
 *   the call is relayed on that call's SSE stream;
 * - task-augmented calls, batches, anything the SDK would refuse (Accept,
 *   Content-Type, protocol version, invalid JSON-RPC or tools/call params),
 *   so the SDK still gives its own error.
 * Enforcement is shared, not copied: both paths call `governedToolCall`,
 * and the result is validated and the error mapped as the SDK does.
 */
import { isJsonContentType } from "@modelcontextprotocol/sdk/shared/mediaType.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  JSONRPCMessageSchema,
  McpError,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";
import { scopesDemandedBy } from "../core/oauth-resource.js";
import type { Subject } from "./auth.js";
import { MCPGOV_REFUSED, refusalOf } from "./call-pipeline.js";
import { followAbort } from "./constrained-call.js";
import type { GatewayContext } from "./context.js";
import { governedToolCall } from "./proxy-server.js";
import type { HttpSession } from "./sessions.js";

/** What the route does with a POST: the lean answer, or hand it to the SDK transport (with the body already read, if it was). */
export type LeanOutcome = { answered: Response } | { forward: Request; parsedBody?: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The client's notifications/cancelled for a lean call aborts it; the SDK server would not know the id. */
function cancelLeanCalls(session: HttpSession, body: unknown): void {
  if (session.leanCalls.size === 0) return;
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isObject(message) || message["method"] !== "notifications/cancelled" || !isObject(message["params"])) continue;
    const id = message["params"]["requestId"];
    if (typeof id === "string" || typeof id === "number") session.leanCalls.get(id)?.abort(new Error("cancelled by the client"));
  }
}

/** The SDK Protocol's error mapping, so a thrown error reads the same on both paths. */
function errorResponse(id: string | number, error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: Number.isSafeInteger(e.code) ? e.code : ErrorCode.InternalError,
      message: e.message ?? "Internal error",
      ...(e.data !== undefined ? { data: e.data } : {}),
    },
  };
}

export interface LeanOptions {
  /** The subject of this request's token; the session's when absent. */
  subject?: Subject;
  /**
   * Answers a call the policy denied only for want of scopes (the HTTP 403
   * insufficient_scope of OAuth step-up); `body` is the JSON-RPC error the
   * client would otherwise get. Absent: the refusal is a tool error as usual.
   */
  onScopeDenied?: (needed: string[], body: Record<string, unknown>) => Response;
}

export async function leanToolCall(ctx: GatewayContext, session: HttpSession, req: Request, httpRequestId: string, options: LeanOptions = {}): Promise<LeanOutcome> {
  const accept = req.headers.get("accept");
  if (!accept?.includes("application/json") || !accept.includes("text/event-stream")) return { forward: req };
  if (!isJsonContentType(req.headers.get("content-type"))) return { forward: req };
  const text = await req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The SDK answers a parse error itself; it needs the body it can no longer read.
    return { forward: new Request(req.url, { method: req.method, headers: req.headers, body: text }) };
  }
  cancelLeanCalls(session, body);
  if (!isObject(body) || body["method"] !== "tools/call") return { forward: req, parsedBody: body };
  const version = req.headers.get("mcp-protocol-version");
  if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return { forward: req, parsedBody: body };
  const message = JSONRPCMessageSchema.safeParse(body);
  if (!message.success || !("id" in message.data)) return { forward: req, parsedBody: body };
  const request = CallToolRequestSchema.safeParse(message.data);
  if (!request.success) return { forward: req, parsedBody: body };
  const params = request.data.params;
  const clientCaps = session.server.getClientCapabilities();
  if (params._meta?.progressToken !== undefined || params.task !== undefined || clientCaps?.sampling || clientCaps?.elicitation) {
    return { forward: req, parsedBody: body };
  }

  const rpc = message.data as JSONRPCMessage & { id: string | number; params: Record<string, unknown> };
  const id = rpc.id;
  const controller = new AbortController();
  session.leanCalls.set(id, controller);
  // A client that hangs up cancels like one that sends notifications/cancelled.
  const unfollow = followAbort(controller, req.signal);
  const signal = controller.signal;
  let payload: Record<string, unknown>;
  let scopeDenied: string[] | undefined;
  try {
    // As the SDK server does: the handler sees the request as sent, the result is validated.
    const caller = { server: session.server, serverId: session.serverId, subject: options.subject ?? session.subject };
    // The trace's facts are read only when traced: an untraced call allocates nothing for tracing.
    const traceparent = ctx.tracing ? (req.headers.get("traceparent") ?? undefined) : undefined;
    const result = await governedToolCall(ctx, caller, "streamable-http", {
      params: rpc.params as never,
      rpcId: id,
      signal,
      httpRequestId,
      ...(ctx.tracing ? { sessionId: session.id } : undefined),
      ...(traceparent !== undefined ? { traceparent } : {}),
    });
    const valid = CallToolResultSchema.safeParse(result);
    if (!valid.success) throw new McpError(ErrorCode.InvalidParams, `Invalid tools/call result: ${valid.error.message}`);
    // Only mcpgov's own refusal (never an upstream's look-alike tool error) can turn into a 403.
    const refusal = options.onScopeDenied ? refusalOf(result) : undefined;
    scopeDenied = refusal && refusal.outcome === "blocked" ? scopesDemandedBy(refusal.decision) : undefined;
    payload = scopeDenied
      ? { jsonrpc: "2.0", id, error: { code: MCPGOV_REFUSED, message: refusal!.decision.reason, data: { "mcpgov/decision": valid.data._meta?.["mcpgov/decision"] } } }
      : { result: valid.data, jsonrpc: "2.0", id };
  } catch (error) {
    payload = errorResponse(id, error);
  } finally {
    unfollow();
    if (session.leanCalls.get(id) === controller) session.leanCalls.delete(id);
  }
  // A cancelled request gets no JSON-RPC response (as on the SDK path); the HTTP exchange still has to end.
  if (signal.aborted) return { answered: new Response(null, { status: 202, headers: { "mcp-session-id": session.id } }) };
  if (scopeDenied && options.onScopeDenied) {
    const answered = options.onScopeDenied(scopeDenied, payload);
    answered.headers.set("mcp-session-id", session.id);
    return { answered };
  }
  return {
    answered: new Response(JSON.stringify(payload), { status: 200, headers: { "content-type": "application/json", "mcp-session-id": session.id } }),
  };
}
