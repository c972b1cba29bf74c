/**
 * @module One registered server behind the aggregated endpoint: the very
 * per-server proxy a client of /mcp/{server} gets (createProxyServer),
 * reached through a linked in-memory transport by an SDK Client. The
 * aggregated server sends each request here under the server's own names,
 * so the per-server machinery — policy decision, pins, catalog policy,
 * approvals, output guard, audit — mediates it, and nothing else does.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  McpError,
  type Progress,
  type RequestId,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Subject } from "../auth.js";
import type { GatewayContext } from "../context.js";
import { createProxyServer } from "../proxy-server.js";
import type { Transport } from "../pipeline/request.js";

/** Whatever the per-server proxy answered, unknown fields kept. */
const RawResultSchema = z.looseObject({});

/**
 * The per-server proxy enforces every deadline (upstream timeout, approval
 * wait, decision deadline); the in-memory hop must not add its own, so its
 * timer is set to the longest Node allows.
 */
const NO_HOP_TIMEOUT_MS = 2_147_483_647;

/** A server that pages forever is broken (or hostile): listing stops here. */
export const MAX_LIST_PAGES = 100;

/**
 * The per-server proxy's JSON-RPC error, passed on as it was sent: the SDK
 * client prefixes "MCP error <code>: " to the message it received, and an
 * McpError would prefix it once more, so the aggregated client would read a
 * different message than a client of /mcp/{server}.
 */
export class ForwardedError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
    this.name = "ForwardedError";
  }
}

function forwarded(thrown: unknown): unknown {
  if (!(thrown instanceof McpError)) return thrown;
  const prefix = `MCP error ${thrown.code}: `;
  return new ForwardedError(thrown.code, thrown.message.startsWith(prefix) ? thrown.message.slice(prefix.length) : thrown.message, thrown.data);
}

export interface MemberOptions {
  ctx: GatewayContext;
  serverId: string;
  subject: Subject;
  transport: Transport;
  /** The aggregated server: a member's sampling and elicitation requests go to its client. */
  outer: Server;
}

export interface MemberRequestOptions {
  signal: AbortSignal;
  onprogress?: (progress: Progress) => void;
  /** The aggregated client's request this one serves; a server's sampling request during it is related to it. */
  outerRequestId?: RequestId;
  /** The aggregated request's auth info (its HTTP request id goes on the per-server log lines, as on /mcp/{server}). */
  authInfo?: AuthInfo;
}

export class Member {
  /** The upstream's capabilities when this member was made: its proxy offers exactly these. */
  readonly capabilities: ServerCapabilities | undefined;
  /** The aggregated client's requests in flight here, latest last. */
  private readonly inflight: RequestId[] = [];
  /** Auth info of requests in flight, by the key each is sent under (see open()). */
  private readonly auth = new Map<number, AuthInfo>();
  private sent = 0;

  private constructor(
    readonly serverId: string,
    private readonly client: Client,
    private readonly proxy: Server,
    capabilities: ServerCapabilities | undefined,
  ) {
    this.capabilities = capabilities;
  }

  static async open({ ctx, serverId, subject, transport, outer }: MemberOptions): Promise<Member> {
    const capabilities = ctx.upstreams.get(serverId)?.serverCapabilities;
    const proxy = createProxyServer(ctx, serverId, subject, transport);
    // The aggregated client's own capabilities: the relay asks the proxy's client whether it can sample or elicit.
    const outerCaps = outer.getClientCapabilities() ?? {};
    const caps: ClientCapabilities = {
      ...(outerCaps.sampling ? { sampling: outerCaps.sampling } : {}),
      ...(outerCaps.elicitation ? { elicitation: outerCaps.elicitation } : {}),
    };
    const client = new Client({ name: "mcpgov-aggregate", version: "0" }, { capabilities: caps });
    const member = new Member(serverId, client, proxy.server, capabilities);
    // Already decided and recorded by the per-server path (the relay's mediator): only carried to the client here.
    if (caps.sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) =>
        outer.request(request, CreateMessageResultSchema, { signal: extra.signal, timeout: NO_HOP_TIMEOUT_MS, ...member.related() }),
      );
    }
    if (caps.elicitation) {
      client.setRequestHandler(ElicitRequestSchema, (request, extra) =>
        outer.request(request, ElicitResultSchema, { signal: extra.signal, timeout: NO_HOP_TIMEOUT_MS, ...member.related() }),
      );
    }
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    // The SDK client passes a request's relatedRequestId to its transport's send, and nothing else of it;
    // request() sends under a key there, so the proxy's handler gets the aggregated request's auth info.
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) => {
      const key = options?.relatedRequestId;
      const authInfo = typeof key === "number" ? member.auth.get(key) : undefined;
      return send(message, authInfo ? { ...options, authInfo } : options);
    };
    await proxy.server.connect(serverSide);
    await client.connect(clientSide);
    return member;
  }

  private related(): { relatedRequestId?: RequestId } {
    const latest = this.inflight.at(-1);
    return latest === undefined ? {} : { relatedRequestId: latest };
  }

  /** One request to the server's proxy; its JSON-RPC error is rethrown as the proxy sent it. */
  async request(method: string, params: Record<string, unknown>, options: MemberRequestOptions): Promise<Record<string, unknown>> {
    const { outerRequestId, authInfo } = options;
    if (outerRequestId !== undefined) this.inflight.push(outerRequestId);
    const key = ++this.sent;
    if (authInfo) this.auth.set(key, authInfo);
    try {
      return await this.client.request({ method, params } as never, RawResultSchema, {
        signal: options.signal,
        timeout: NO_HOP_TIMEOUT_MS,
        relatedRequestId: key,
        ...(options.onprogress ? { onprogress: options.onprogress } : {}),
      });
    } catch (thrown) {
      throw forwarded(thrown);
    } finally {
      this.auth.delete(key);
      if (outerRequestId !== undefined) this.inflight.splice(this.inflight.lastIndexOf(outerRequestId), 1);
    }
  }

  /** Every item of a list method across the proxy's pages (each page mediated and recorded as on /mcp/{server}). */
  async listAll(method: string, key: string, options: MemberRequestOptions): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await this.request(method, cursor === undefined ? {} : { cursor }, options);
      const list = result[key];
      if (!Array.isArray(list)) throw new Error(`server "${this.serverId}" answered ${method} without a ${key} array`);
      items.push(...(list as Array<Record<string, unknown>>));
      const next = result["nextCursor"];
      if (typeof next !== "string") return items;
      if (seen.has(next)) throw new Error(`server "${this.serverId}" repeated a ${method} cursor`);
      seen.add(next);
      cursor = next;
    }
    throw new Error(`server "${this.serverId}" sent more than ${MAX_LIST_PAGES} pages of ${method}`);
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await this.proxy.close().catch(() => undefined);
  }
}
