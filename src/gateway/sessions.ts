/**
 * @module Client sessions over Streamable HTTP: one SDK transport and one
 * proxy server per session (or, on /mcp, one aggregated server), bound to
 * the subject that opened it.
 *
 * Sessions are this process's memory, not shared state: in a fleet a load
 * balancer keeps a session on its gateway (affinity on Mcp-Session-Id), and
 * when that gateway dies the next gateway answers 404 for the id, so the
 * client re-initialises there. Approvals and the audit chain are shared, so
 * nothing a call needs is lost with the session.
 */
import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";
import { createProxyServer, type ProxySession } from "./proxy-server.js";
import { type AggregateSession, createAggregateServer, type ListChangeSubscription } from "./aggregate/aggregate-server.js";

export interface HttpSession extends ProxySession {
  id: string;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  /**
   * tools/call requests answered on the lean path, by JSON-RPC id: the SDK
   * server does not know them, so the client's notifications/cancelled and
   * the session's end abort them here.
   */
  leanCalls: Map<RequestId, AbortController>;
}

/** A session of the aggregated endpoint (/mcp): one MCP server in front of every registered server. */
export interface AggregateHttpSession extends AggregateSession {
  id: string;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
}

export interface SessionRegistryOptions {
  /** Where aggregated sessions hear that a server's list changed (the gateway's onListChanged). */
  onListChanged?: ListChangeSubscription;
  idleMs?: number;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, HttpSession>();
  /** Kept apart: an id of one endpoint is unknown (404) on the other. */
  private readonly aggregates = new Map<string, AggregateHttpSession>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly idleMs: number;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly options: SessionRegistryOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** An aggregated session, for the subject that opened it only. */
  getAggregate(id: string, subject: Subject): AggregateHttpSession | undefined {
    const session = this.aggregates.get(id);
    if (!session || session.subject.id !== subject.id || session.subject.tenant !== subject.tenant) return undefined;
    session.lastSeen = Date.now();
    return session;
  }

  async openAggregate(subject: Subject, maxBodyBytes: number): Promise<AggregateHttpSession> {
    const aggregate = createAggregateServer(this.ctx, subject, "streamable-http", this.options.onListChanged);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: (id) => {
        this.aggregates.set(id, { ...aggregate, id, transport, lastSeen: Date.now() });
        this.ctx.metrics.activeSessions.set(this.sessions.size + this.aggregates.size);
      },
      onsessionclosed: (id) => this.drop(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.drop(transport.sessionId);
    };
    await aggregate.server.connect(transport);
    return { ...aggregate, id: "", transport, lastSeen: Date.now() };
  }

  /** A session only answers the subject that opened it; anyone else is told it does not exist. */
  get(id: string, subject: Subject): HttpSession | undefined {
    const session = this.sessions.get(id);
    if (!session || session.subject.id !== subject.id || session.subject.tenant !== subject.tenant) return undefined;
    session.lastSeen = Date.now();
    return session;
  }

  async open(serverId: string, subject: Subject, maxBodyBytes: number): Promise<HttpSession> {
    const proxy = createProxyServer(this.ctx, serverId, subject, "streamable-http");
    let session: HttpSession | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: (id) => {
        session = { ...proxy, id, transport, lastSeen: Date.now(), leanCalls: new Map() };
        this.sessions.set(id, session);
        this.ctx.metrics.activeSessions.set(this.sessions.size + this.aggregates.size);
      },
      onsessionclosed: (id) => this.drop(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.drop(transport.sessionId);
    };
    await proxy.server.connect(transport);
    return { ...proxy, id: "", transport, lastSeen: Date.now(), leanCalls: new Map() };
  }

  forServer(serverId: string): HttpSession[] {
    return [...this.sessions.values()].filter((s) => s.serverId === serverId);
  }

  private drop(id: string): void {
    const aggregate = this.aggregates.get(id);
    if (aggregate) {
      this.aggregates.delete(id);
      this.ctx.metrics.activeSessions.set(this.sessions.size + this.aggregates.size);
      void aggregate.close();
      return;
    }
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.ctx.metrics.activeSessions.set(this.sessions.size + this.aggregates.size);
    for (const controller of session.leanCalls.values()) controller.abort(new Error("the session ended"));
    void session.server.close().catch(() => undefined);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions) if (session.lastSeen < cutoff) this.drop(id);
    for (const [id, session] of this.aggregates) if (session.lastSeen < cutoff) this.drop(id);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => s.server.close().catch(() => undefined)));
    await Promise.all([...this.aggregates.values()].map((s) => s.close()));
    this.sessions.clear();
    this.aggregates.clear();
  }
}
