/**
 * @module One client session's aggregated MCP server (/mcp, `mcpgov stdio`
 * without --server): every registered server's tools, prompts, resources
 * and completions under namespaced names (core/aggregate-names.ts).
 *
 * It decides nothing itself. Each request is translated back to the real
 * server and name and sent to that server's per-server proxy (member.ts),
 * so policy, pins, approvals, output guard and audit are those of
 * /mcp/{server}, and the envelope and the record name the real server and
 * tool. Its answers come back unchanged but for the names and URIs in them.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { namespaceUri, parseNamespacedName, parseNamespacedUri, type Qualified } from "../../core/aggregate-names.js";
import type { Subject } from "../auth.js";
import type { GatewayContext } from "../context.js";
import type { Transport } from "../pipeline/request.js";
import { denyUnknownServer } from "../unknown-server.js";
import { Member, type MemberRequestOptions } from "./member.js";
import { type ListKind, mergedList, pageOf } from "./merged-list.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What a request to a member carries of the aggregated request: cancellation, its id, its auth info. */
const hop = (extra: Extra): MemberRequestOptions => ({
  signal: extra.signal,
  outerRequestId: extra.requestId,
  ...(extra.authInfo ? { authInfo: extra.authInfo } : {}),
});

/** A server's list that changed (upstream.on events, re-checked against the pins for tools). */
export type ChangedList = "tools" | "prompts" | "resources";
/** Subscribes to list changes of every server; returns the unsubscribe. */
export type ListChangeSubscription = (listener: (serverId: string, list: ChangedList) => void) => () => void;

export interface AggregateSession {
  server: Server;
  subject: Subject;
  /** Ends the session: its per-server proxies, its subscription, its server. */
  close(): Promise<void>;
}

/** JSON-RPC code of a request for a server that is not registered (as /mcp/{server} answers). */
const UNKNOWN_SERVER = -32002;

export function createAggregateServer(ctx: GatewayContext, subject: Subject, transport: Transport, onListChanged?: ListChangeSubscription): AggregateSession {
  const server = new Server(
    { name: "mcpgov", version: "0" },
    {
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true }, completions: {} },
      instructions:
        "Every server registered with mcpgov, under one endpoint. Tools and prompts are named <server>__<name>; resources are mcpgov://<server>/<uri>. Each call is decided by policy before it runs and recorded.",
    },
  );
  const members = new Map<string, Promise<Member>>();

  /** The session's member for a server; made again once a server that was down at first says what it offers. */
  const memberFor = async (serverId: string): Promise<Member> => {
    const existing = members.get(serverId);
    if (existing) {
      const member = await existing.catch(() => undefined);
      if (member && (member.capabilities !== undefined || ctx.upstreams.get(serverId)?.serverCapabilities === undefined)) return member;
      members.delete(serverId);
      void member?.close();
    }
    const opening = Member.open({ ctx, serverId, subject, transport, outer: server });
    members.set(serverId, opening);
    return opening;
  };
  const servers = () => ctx.registry.list().filter((entry) => ctx.upstreams.has(entry.id)).map((entry) => entry.id);
  const list = async (kind: ListKind, cursor: unknown, extra: Extra) =>
    pageOf(await mergedList(servers().map((id) => () => memberFor(id)), kind, hop(extra), ctx.logger), kind, cursor);

  /** The member a namespaced name addresses; an unregistered server is refused and recorded as on /mcp/{server}. */
  const target = async (qualified: Qualified | undefined, what: string, raw: unknown, extra: Extra, method: string): Promise<{ member: Member; name: string }> => {
    if (!qualified) {
      throw new McpError(ErrorCode.InvalidParams, `${what} ${JSON.stringify(String(raw).slice(0, 200))} does not name a server: expected ${what === "uri" ? "mcpgov://<server>/<uri>" : "<server>__<name>"}`);
    }
    if (!ctx.registry.get(qualified.server) || !ctx.upstreams.has(qualified.server)) {
      const httpRequestId = extra.authInfo?.extra?.["httpRequestId"];
      throw new McpError(UNKNOWN_SERVER, await denyUnknownServer(ctx, qualified.server, subject, typeof httpRequestId === "string" ? httpRequestId : undefined, { transport, method }));
    }
    return { member: await memberFor(qualified.server), name: qualified.name };
  };

  server.setRequestHandler(ListToolsRequestSchema, (request, extra) => list("tools", request.params?.cursor, extra) as never);
  server.setRequestHandler(ListPromptsRequestSchema, (request, extra) => list("prompts", request.params?.cursor, extra) as never);
  server.setRequestHandler(ListResourcesRequestSchema, (request, extra) => list("resources", request.params?.cursor, extra) as never);
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (request, extra) => list("resourceTemplates", request.params?.cursor, extra) as never);

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { member, name } = await target(parseNamespacedName(request.params.name), "tool", request.params.name, extra, "tools/call");
    const progressToken = request.params._meta?.progressToken;
    return (await member.request(
      "tools/call",
      { ...request.params, name },
      {
        ...hop(extra),
        // The hop sets its own token; the client hears progress under the one it chose.
        ...(progressToken !== undefined
          ? { onprogress: (progress) => void extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => undefined) }
          : {}),
      },
    )) as never;
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const { member, name } = await target(parseNamespacedName(request.params.name), "prompt", request.params.name, extra, "prompts/get");
    return (await member.request("prompts/get", { ...request.params, name }, hop(extra))) as never;
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const { member, name } = await target(parseNamespacedUri(request.params.uri), "uri", request.params.uri, extra, "resources/read");
    const result = await member.request("resources/read", { ...request.params, uri: name }, hop(extra));
    const contents = Array.isArray(result["contents"]) ? (result["contents"] as Array<Record<string, unknown>>) : [];
    // The contents name their URIs; the client must be able to read them again here.
    return { ...result, contents: contents.map((c) => (typeof c["uri"] === "string" ? { ...c, uri: namespaceUri(member.serverId, c["uri"]) } : c)) } as never;
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const ref = request.params.ref;
    const { member, name } =
      ref.type === "ref/prompt" ? await target(parseNamespacedName(ref.name), "prompt", ref.name, extra, "completion/complete") : await target(parseNamespacedUri(ref.uri), "uri", ref.uri, extra, "completion/complete");
    const realRef = ref.type === "ref/prompt" ? { ...ref, name } : { ...ref, uri: name };
    return (await member.request("completion/complete", { ...request.params, ref: realRef }, hop(extra))) as never;
  });

  // Subscribed once the client is initialized: a POST that never initializes leaves nothing subscribed behind.
  let unsubscribe: (() => void) | undefined;
  server.oninitialized = () => {
    unsubscribe ??= onListChanged?.((serverId, changed) => {
      if (!ctx.registry.get(serverId)) return;
      const send = changed === "tools" ? server.sendToolListChanged() : changed === "prompts" ? server.sendPromptListChanged() : server.sendResourceListChanged();
      // After the client left there is no one to tell.
      void send.catch(() => undefined);
    });
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      unsubscribe?.();
      const opened = await Promise.all([...members.values()].map((m) => m.catch(() => undefined)));
      members.clear();
      await Promise.all(opened.map((m) => m?.close()));
      await server.close().catch(() => undefined);
    })());
  // A client that leaves (stdio closed, HTTP session deleted) ends its proxies with it.
  server.onclose = () => void close();
  return { server, subject, close };
}
