/**
 * @module The MCP face of the pipeline: turns a client's request into a
 * mediated request (src/gateway/pipeline) and what became of it into the
 * MCP answer — a tool result or tool error for tools/call, the guarded
 * result or a JSON-RPC error for every other method.
 */
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { McpMethod } from "../core/envelope.js";
import type { Logger } from "../logger.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";
import { mediate, type Mediated } from "./pipeline/mediate.js";
import { guardProgress } from "./pipeline/progress.js";
import type { Progress, Transport } from "./pipeline/request.js";
import type { Refusal } from "./pipeline/state.js";
import type { ServerRequestMediator } from "./server-requests.js";

export interface ToolCallRequest {
  serverId: string;
  params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> };
  subject: Subject;
  transport: Transport;
  requestId?: string;
  signal: AbortSignal;
  /** The request's logger (its lines carry the HTTP request id); the gateway's when absent. */
  logger?: Logger;
  /** Set when the client asked for progress: forwards upstream progress under the client's token. */
  sendProgress?: (progress: Progress) => Promise<void>;
  /** The client's MCP session id and its HTTP traceparent header (untrusted), for the trace. */
  sessionId?: string;
  traceparent?: string;
}

export type ToolCallResult = Record<string, unknown> & { content: unknown[]; isError?: boolean };

/** JSON-RPC error code for a request mcpgov refused (implementation-defined server error range). */
export const MCPGOV_REFUSED = -32001;

function decisionMeta(refusal: Refusal, callId: string): Record<string, unknown> {
  const d = refusal.decision;
  return {
    call_id: callId,
    decision: d.decision,
    rules: d.rules,
    reason: d.reason,
    bundle: d.bundle,
    ...(Object.keys(d.constraints).length > 0 ? { constraints: d.constraints } : {}),
    ...(refusal.meta ?? {}),
  };
}

/**
 * The gateway's own refusals, by result object: an upstream's tool error
 * can carry any `_meta` it likes, so the HTTP layer asks here, not the
 * result, whether (and why) mcpgov refused a call.
 */
const refusals = new WeakMap<ToolCallResult, Refusal>();

/** The refusal `result` phrases, when mcpgov made it; undefined for anything an upstream answered. */
export function refusalOf(result: ToolCallResult): Refusal | undefined {
  return refusals.get(result);
}

/** A refusal as a tool error: the model reads the text, a program reads _meta. */
function refusalResult(refusal: Refusal, callId: string): ToolCallResult {
  const outputMeta = refusal.meta?.["mcpgov/output"];
  const result: ToolCallResult = {
    content: [{ type: "text", text: refusal.text }],
    isError: true,
    _meta: outputMeta ? { "mcpgov/output": outputMeta } : { "mcpgov/decision": decisionMeta(refusal, callId) },
  };
  refusals.set(result, refusal);
  return result;
}

export async function handleToolCall(ctx: GatewayContext, request: ToolCallRequest): Promise<ToolCallResult> {
  const mediated = await mediateRequest(ctx, "tools/call", {
    serverId: request.serverId,
    params: request.params as Record<string, unknown>,
    subject: request.subject,
    transport: request.transport,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    signal: request.signal,
    ...(request.logger ? { logger: request.logger } : {}),
    ...(request.sendProgress ? { sendProgress: request.sendProgress } : {}),
    ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
    ...(request.traceparent !== undefined ? { traceparent: request.traceparent } : {}),
  });
  if (mediated.ok) return mediated.result as ToolCallResult;
  if (mediated.upstreamError) throw mediated.upstreamError;
  return refusalResult(mediated.refusal, mediated.callId);
}

export interface OtherRequest {
  serverId: string;
  params: Record<string, unknown>;
  subject: Subject;
  transport: Transport;
  requestId?: string;
  signal: AbortSignal;
  logger?: Logger;
  sessionId?: string;
  /** The HTTP traceparent header as received (untrusted); params._meta.traceparent wins over it. */
  traceparent?: string;
  /** Overrides sending to the upstream (tools/list is served from the pinned catalog). */
  dispatch?: (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;
}

/** Any other method: the guarded result, or a JSON-RPC error that names the decision. */
export async function handleRequest(ctx: GatewayContext, method: Exclude<McpMethod, "tools/call">, request: OtherRequest): Promise<Record<string, unknown>> {
  const mediated = await mediateRequest(ctx, method, request);
  if (mediated.ok) return mediated.result as Record<string, unknown>;
  if (mediated.upstreamError) throw mediated.upstreamError;
  const refusal = mediated.refusal;
  if (refusal.meta?.["mcpgov/output"]) throw new McpError(refusal.withheldCode ?? MCPGOV_REFUSED, refusal.text, { "mcpgov/output": refusal.meta["mcpgov/output"] });
  throw new McpError(MCPGOV_REFUSED, refusal.text, { "mcpgov/decision": decisionMeta(refusal, mediated.callId) });
}

/**
 * The client's trace context: params._meta.traceparent (how the MCP
 * semantic conventions carry it per message), else the HTTP header. Only
 * strings pass; the pipeline parses them strictly.
 */
function traceparentOf(params: Record<string, unknown>, header: string | undefined): { traceparent?: string } {
  const meta = params["_meta"];
  const fromMeta = typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>)["traceparent"] : undefined;
  if (typeof fromMeta === "string") return { traceparent: fromMeta };
  return header !== undefined ? { traceparent: header } : {};
}

function mediateRequest(
  ctx: GatewayContext,
  method: McpMethod,
  request: Omit<OtherRequest, "dispatch"> & { dispatch?: OtherRequest["dispatch"]; sendProgress?: (progress: Progress) => Promise<void> },
): Promise<Mediated> {
  const { sendProgress } = request;
  return mediate(ctx, {
    method,
    serverId: request.serverId,
    params: request.params,
    subject: request.subject,
    transport: request.transport,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    signal: request.signal,
    ...(request.logger ? { logger: request.logger } : {}),
    ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
    ...(ctx.tracing ? traceparentOf(request.params, request.traceparent) : undefined),
    ...(sendProgress ? { sendProgress: (p: Progress) => sendProgress(guardProgress(p)) } : {}),
    dispatch: (params, options) => {
      if (request.dispatch) return request.dispatch(params, options.signal);
      const upstream = ctx.upstreams.get(request.serverId);
      if (!upstream) throw new Error(`no upstream for server ${request.serverId}`);
      return upstream.request(method, params, {
        signal: options.signal,
        timeout: options.timeoutMs,
        ...(options.traceparent !== undefined ? { traceparent: options.traceparent } : {}),
        ...(options.onProgress
          ? { onprogress: (p) => options.onProgress!({ progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message ? { message: p.message } : {}) }) }
          : {}),
      });
    },
  });
}

/** A server's sampling or elicitation request, mediated before it reaches the calling client. */
export const mediateServerRequest =
  (ctx: GatewayContext): ServerRequestMediator =>
  async (method, serverId, call, params, signal, send) =>
    handleRequest(ctx, method, {
      serverId,
      params,
      subject: call.subject,
      transport: call.transport,
      requestId: String(call.requestId),
      signal,
      dispatch: (forward, dispatchSignal) => send(forward, dispatchSignal),
    });
