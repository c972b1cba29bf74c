/**
 * @module One client session's MCP server: the low-level SDK Server in
 * front of one upstream, with tools/call governed and the rest forwarded.
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
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import { lazyChildLogger } from "../logger.js";
import type { Subject } from "./auth.js";
import { handleToolCall, type ToolCallRequest, type ToolCallResult } from "./call-pipeline.js";
import type { GatewayContext } from "./context.js";

const PAGE_SIZE = 100;

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
  const server = new Server(
    { name: `mcpgov/${serverId}`, version: info?.version ?? "0" },
    {
      capabilities: capabilitiesFor(upstream.serverCapabilities),
      instructions: `Tool calls to "${serverId}" pass through mcpgov: each call is decided by policy before it runs and recorded.`,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const tools = await catalog.list();
    const offset = decodeCursor(request.params?.cursor);
    const page = tools.slice(offset, offset + PAGE_SIZE);
    const next = offset + PAGE_SIZE < tools.length ? Buffer.from(String(offset + PAGE_SIZE)).toString("base64url") : undefined;
    return { tools: page as never, ...(next ? { nextCursor: next } : {}) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const requestId = extra.authInfo?.extra?.["httpRequestId"];
    return (await governedToolCall(ctx, { server, subject, serverId }, transport, {
      params: request.params as never,
      rpcId: extra.requestId,
      signal: extra.signal,
      ...(typeof requestId === "string" ? { httpRequestId: requestId } : {}),
      ...(progressToken !== undefined
        ? {
            sendProgress: (p) => extra.sendNotification({ method: "notifications/progress", params: { progressToken, ...p } }),
          }
        : {}),
    })) as never;
  });

  // Everything else is forwarded as the client sent it (cursors included,
  // so pagination is the upstream's own).
  const forward = (method: string) => async (request: { params?: Record<string, unknown> }, extra: { signal: AbortSignal }) =>
    (await upstream.request(method, request.params, { signal: extra.signal })) as never;
  const caps = upstream.serverCapabilities;
  if (caps?.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, forward("resources/list"));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, forward("resources/templates/list"));
    server.setRequestHandler(ReadResourceRequestSchema, forward("resources/read"));
    if (caps.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, forward("resources/subscribe"));
      server.setRequestHandler(UnsubscribeRequestSchema, forward("resources/unsubscribe"));
    }
  }
  if (caps?.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, forward("prompts/list"));
    server.setRequestHandler(GetPromptRequestSchema, forward("prompts/get"));
  }
  if (caps?.completions) server.setRequestHandler(CompleteRequestSchema, forward("completion/complete"));
  if (caps?.logging) server.setRequestHandler(SetLevelRequestSchema, forward("logging/setLevel"));

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
  return ctx.relay.during(serverId, { server, requestId: call.rpcId }, () =>
    handleToolCall(ctx, {
      serverId,
      params: call.params,
      subject,
      transport,
      requestId: String(call.rpcId),
      signal: call.signal,
      ...(call.httpRequestId !== undefined ? { logger: lazyChildLogger(ctx.logger, { request_id: call.httpRequestId }) } : {}),
      ...(call.sendProgress ? { sendProgress: call.sendProgress } : {}),
    }),
  );
}
