/**
 * @module One client session's MCP server: the low-level SDK Server in
 * front of one upstream. Every method that acts or reads data is mediated
 * by the pipeline; only ping and initialize are the SDK's own.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { RequestId, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";

type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
import { lazyChildLogger } from "../logger.js";
import type { Subject } from "./auth.js";
import { handleRequest, handleToolCall, type ToolCallRequest, type ToolCallResult } from "./call-pipeline.js";
import type { McpMethod } from "../core/envelope.js";
import type { GatewayContext } from "./context.js";

const PAGE_SIZE = 100;

/** The HTTP request's traceparent header, when there is exactly one (stdio has none). */
function traceparentHeader(extra: RequestExtra): string | undefined {
  const value = extra.requestInfo?.headers?.["traceparent"];
  return typeof value === "string" ? value : undefined;
}

/** What the trace needs of the request's transport: its session and the client's traceparent header. */
function traceFacts(extra: RequestExtra): { sessionId?: string; traceparent?: string } {
  const traceparent = traceparentHeader(extra);
  return { ...(extra.sessionId !== undefined ? { sessionId: extra.sessionId } : {}), ...(traceparent !== undefined ? { traceparent } : {}) };
}

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const offset = Number(Buffer.from(cursor, "base64url").toString("utf8"));
  return Number.isInteger(offset) && offset >= 0 ? offset : 0;
}

/** What this session offers: the upstream's capabilities, tools always (governed), no tasks. */
function capabilitiesFor(upstream: ServerCapabilities | undefined): ServerCapabilities {
  const caps: ServerCapabilities = { tools: { listChanged: true } };
  if (upstream?.resources) caps.resources = upstream.resources;
  if (upstream?.prompts) caps.prompts = upstream.prompts;
  if (upstream?.completions) caps.completions = upstream.completions;
  if (upstream?.logging) caps.logging = upstream.logging;
  return caps;
}

export interface ProxySession {
  server: Server;
  subject: Subject;
  serverId: string;
}

export function createProxyServer(
  ctx: GatewayContext,
  serverId: string,
  subject: Subject,
  transport: "streamable-http" | "stdio",
): ProxySession {
  const upstream = ctx.upstreams.get(serverId);
  const catalog = ctx.catalogs.get(serverId);
  if (!upstream || !catalog) throw new Error(`no upstream for registered server ${serverId}`);
  const info = upstream.serverInfo;
  // Over HTTP each request carries the subject of its own token (set by the route, never by the client); the session checked it is the same id and tenant.
  const subjectOf = (extra: RequestExtra): Subject => (extra.authInfo?.extra?.["subject"] as Subject | undefined) ?? subject;
  const common = (request: { params?: Record<string, unknown> }, extra: RequestExtra) => {
    const httpRequestId = extra.authInfo?.extra?.["httpRequestId"];
    return {
      serverId,
      params: request.params ?? {},
      subject: subjectOf(extra),
      transport,
      requestId: String(extra.requestId),
      signal: extra.signal,
      ...(typeof httpRequestId === "string" ? { logger: lazyChildLogger(ctx.logger, { request_id: httpRequestId }) } : {}),
      // Read only when traced: an untraced call allocates nothing for tracing.
      ...(ctx.tracing ? traceFacts(extra) : undefined),
    };
  };
  const server = new Server(
    { name: `mcpgov/${serverId}`, version: info?.version ?? "0" },
    {
      capabilities: capabilitiesFor(upstream.serverCapabilities),
      instructions: `Tool calls to "${serverId}" pass through mcpgov: each call is decided by policy before it runs and recorded.`,
    },
  );

  // tools/list is served from the pinned catalog, and decided like every other method.
  server.setRequestHandler(ListToolsRequestSchema, async (request, extra) =>
    (await handleRequest(ctx, "tools/list", {
      ...common(request, extra),
      dispatch: async (params) => {
        const tools = await catalog.list();
        const offset = decodeCursor(typeof params["cursor"] === "string" ? params["cursor"] : undefined);
        const page = tools.slice(offset, offset + PAGE_SIZE);
        const next = offset + PAGE_SIZE < tools.length ? Buffer.from(String(offset + PAGE_SIZE)).toString("base64url") : undefined;
        return { tools: page, ...(next ? { nextCursor: next } : {}) };
      },
    })) as never,
  );

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const requestId = extra.authInfo?.extra?.["httpRequestId"];
    return (await governedToolCall(ctx, { server, subject: subjectOf(extra), serverId }, transport, {
      params: request.params as never,
      rpcId: extra.requestId,
      signal: extra.signal,
      ...(typeof requestId === "string" ? { httpRequestId: requestId } : {}),
      ...(ctx.tracing ? traceFacts(extra) : undefined),
      ...(progressToken !== undefined
        ? {
            sendProgress: (p) => extra.sendNotification({ method: "notifications/progress", params: { progressToken, ...p } }),
          }
        : {}),
    })) as never;
  });

  // Every other method that acts or reads data goes through the same
  // pipeline: decided, recorded, its answer guarded. Cursors are passed on,
  // so pagination is the upstream's own.
  const mediated = (method: Exclude<McpMethod, "tools/call" | "tools/list">) => async (request: { params?: Record<string, unknown> }, extra: RequestExtra) =>
    (await handleRequest(ctx, method, common(request, extra))) as never;
  const caps = upstream.serverCapabilities;
  if (caps?.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, mediated("resources/list"));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, mediated("resources/templates/list"));
    server.setRequestHandler(ReadResourceRequestSchema, mediated("resources/read"));
    if (caps.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, mediated("resources/subscribe"));
      server.setRequestHandler(UnsubscribeRequestSchema, mediated("resources/unsubscribe"));
    }
  }
  if (caps?.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, mediated("prompts/list"));
    server.setRequestHandler(GetPromptRequestSchema, mediated("prompts/get"));
  }
  if (caps?.completions) server.setRequestHandler(CompleteRequestSchema, mediated("completion/complete"));
  if (caps?.logging) server.setRequestHandler(SetLevelRequestSchema, mediated("logging/setLevel"));

  return { server, subject, serverId };
}

export interface GovernedCall {
  params: ToolCallRequest["params"];
  /** The JSON-RPC id of the client's request. */
  rpcId: RequestId;
  signal: AbortSignal;
  /** The HTTP request's id (X-Request-Id), put on every log line of the call. */
  httpRequestId?: string;
  sendProgress?: ToolCallRequest["sendProgress"];
  /** The client's MCP session and its HTTP traceparent header (untrusted), for the trace. */
  sessionId?: string;
  traceparent?: string;
}

/**
 * One governed tools/call of a session, whichever way it arrived (the SDK
 * server or the lean HTTP path): both go through here, so the relay, the
 * pipeline and its audit record, metrics and logs cannot differ between them.
 */
export function governedToolCall(
  ctx: GatewayContext,
  session: ProxySession,
  transport: "streamable-http" | "stdio",
  call: GovernedCall,
): Promise<ToolCallResult> {
  const { server, serverId, subject } = session;
  return ctx.relay.during(serverId, { server, requestId: call.rpcId, subject, transport }, () =>
    handleToolCall(ctx, {
      serverId,
      params: call.params,
      subject,
      transport,
      requestId: String(call.rpcId),
      signal: call.signal,
      ...(call.httpRequestId !== undefined ? { logger: lazyChildLogger(ctx.logger, { request_id: call.httpRequestId }) } : {}),
      ...(call.sendProgress ? { sendProgress: call.sendProgress } : {}),
      ...(call.sessionId !== undefined ? { sessionId: call.sessionId } : {}),
      ...(call.traceparent !== undefined ? { traceparent: call.traceparent } : {}),
    }),
  );
}
