/**
 * @module The gateway's HTTP surface (Hono): MCP over Streamable HTTP at
 * /mcp/{server} and, for every server at once, /mcp; health, readiness,
 * metrics, the admin bundle API, the approval console (/console) and, with
 * JWT auth, OAuth protected resource metadata
 * (/.well-known/oauth-protected-resource).
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { quarantineRoutes } from "./admin-quarantine-routes.js";
import type { Authenticator, Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";
import { leanToolCall } from "./lean-call.js";
import { resourceServer } from "./resource-server.js";
import { denyUnknownServer } from "./unknown-server.js";
import { approvalRoutes } from "./admin-approval-routes.js";
import { auditRoutes } from "./admin-audit-routes.js";
import type { MetricsAccess } from "./metrics-auth.js";
import type { SessionRegistry } from "./sessions.js";
import { consoleRoutes } from "../console/console-routes.js";
import { isConsoleSameOrigin } from "../console/console-security.js";

type Env = { Variables: { requestId: string; subject: Subject } };

/** A JSON-RPC error as an HTTP response; id null because we answer before reading the request. */
export function jsonRpcError(c: Context, status: number, code: number, message: string): Response {
  return c.json({ jsonrpc: "2.0", error: { code, message }, id: null }, status as never);
}

function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.toLowerCase();
  const bare = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e === host || e === bare;
  });
}

export interface HttpAppOptions {
  ctx: GatewayContext;
  auth: Authenticator;
  /** The admin API's own authenticator (config admin_auth, else auth). */
  adminAuth: Authenticator;
  sessions: SessionRegistry;
  ready: () => { ok: boolean; detail: Record<string, unknown> };
  /** True once the gateway is shutting down: new sessions are refused. */
  draining: () => boolean;
  /** Whether a scrape of /metrics may read the metrics (config metrics.auth). */
  metricsAccess: MetricsAccess;
}

export function createHttpApp({ ctx, auth, adminAuth, sessions, ready, draining, metricsAccess }: HttpAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const { config } = ctx;
  app.use(requestId());
  // Responses the SDK transport builds itself bypass Hono's header handling; the client still gets the id its logs are under.
  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.has("x-request-id")) {
      try {
        c.res.headers.set("x-request-id", c.get("requestId"));
      } catch {
        // An immutable response (none is built that way today) goes out without it.
      }
    }
  });

  // DNS rebinding: a browser tricked into calling us carries a foreign Host or Origin.
  app.use(async (c, next) => {
    if (!hostAllowed(c.req.header("host"), config.allowed_hosts)) {
      return jsonRpcError(c, 403, -32000, "Forbidden: Host header is not allowed");
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !config.allowed_origins.includes(origin) && !isConsoleSameOrigin(c.req.path, c.req.url, c.req.header("host"), origin)) {
      return jsonRpcError(c, 403, -32000, "Forbidden: Origin is not allowed");
    }
    await next();
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const state = ready();
    return c.json({ status: state.ok ? "ready" : "not ready", ...state.detail }, state.ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    if (!metricsAccess(c.req.header("authorization"))) {
      c.header("www-authenticate", 'Bearer realm="mcpgov-metrics"');
      return c.text("Unauthorized: /metrics needs the scrape token (metrics.auth bearer)\n", 401);
    }
    return c.text(await ctx.metrics.registry.metrics(), 200, { "content-type": ctx.metrics.registry.contentType });
  });

  // With JWT auth the MCP endpoints are an OAuth resource: audience-bound tokens, discoverable metadata, RFC 6750 challenges.
  const oauth =
    config.auth.mode === "jwt"
      ? resourceServer({ auth: config.auth, isEndpoint: (path) => path === "/mcp" || (/^\/mcp\/[^/]+$/.test(path) && ctx.registry.get(path.slice("/mcp/".length)) !== undefined) })
      : undefined;
  if (oauth) app.route("/", oauth.routes);

  const authenticateWith = (authenticator: Authenticator) => async (c: Context<Env>, next: () => Promise<void>) => {
    // A JWT for the whole gateway (its root resource) is good here too.
    const result = await authenticator.authenticate(c.req.header("authorization"), oauth?.gatewayAudiences(c));
    if (!result.ok) {
      c.header("www-authenticate", 'Bearer realm="mcpgov"');
      return jsonRpcError(c, result.status, -32001, `Unauthorized: ${result.reason}`);
    }
    c.set("subject", result.subject);
    await next();
  };
  const authenticate: MiddlewareHandler<Env> = oauth ? oauth.guard<Env>(auth) : authenticateWith(auth);
  const authenticateAdmin = authenticateWith(adminAuth);

  const tooLarge = (c: Context) => jsonRpcError(c, 413, -32600, `Request body exceeds ${config.limits.max_body_bytes} bytes`);
  const streamedLimit = bodyLimit({ maxSize: config.limits.max_body_bytes, onError: tooLarge });
  // A declared length is checked from the header alone (Node's parser then
  // refuses a body longer than declared), so the body stays unread: Hono's
  // bodyLimit touches `body`, which makes @hono/node-server build an undici
  // Request and a web stream for every call, where `text()` on its
  // lightweight request reads the socket directly. Chunked bodies are
  // counted as they arrive, by Hono's middleware.
  const limit: MiddlewareHandler<Env> = async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && /^\d{1,15}$/.test(length) && c.req.header("transfer-encoding") === undefined) {
      if (Number(length) > config.limits.max_body_bytes) return tooLarge(c);
      return next();
    }
    return streamedLimit(c, next);
  };

  // Every registered server under one endpoint: each request is routed to that server's own proxy (aggregate/).
  app.all("/mcp", limit, authenticate, async (c) => {
    const subject = c.get("subject");
    const sessionId = c.req.header("mcp-session-id");
    if (sessionId) {
      const session = sessions.getAggregate(sessionId, subject);
      if (!session) {
        return jsonRpcError(c, 404, -32001, "Session not found: it ended, or another gateway holds it; send initialize without Mcp-Session-Id to start a new one");
      }
      // As on /mcp/{server}: this request's token (not the one that opened the session) governs its calls, through the in-memory hop.
      const authInfo = { token: "", clientId: subject.id, scopes: subject.scopes, extra: { httpRequestId: c.get("requestId"), subject } };
      return session.transport.handleRequest(c.req.raw, { authInfo });
    }
    if (c.req.method !== "POST") return jsonRpcError(c, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
    const session = await sessions.openAggregate(subject, config.limits.max_body_bytes);
    return session.transport.handleRequest(c.req.raw);
  });

  app.all("/mcp/:server", limit, authenticate, async (c) => {
    const serverId = c.req.param("server");
    const subject = c.get("subject");
    if (!ctx.registry.get(serverId)) {
      const reason = await denyUnknownServer(ctx, serverId, subject, c.get("requestId"));
      return jsonRpcError(c, 404, -32002, reason);
    }
    const sessionId = c.req.header("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId, subject);
      // Sessions live in the gateway that opened them: after that gateway died (or the session ended) the id is unknown here,
      // and 404 is what tells an MCP client to start a new session (initialize without the header).
      if (!session || session.serverId !== serverId) {
        return jsonRpcError(c, 404, -32001, "Session not found: it ended, or another gateway holds it; send initialize without Mcp-Session-Id to start a new one");
      }
      // The subject of this request's token (its scopes and roles may have changed since the session opened) governs its calls.
      const authInfo = { token: "", clientId: subject.id, scopes: subject.scopes, extra: { httpRequestId: c.get("requestId"), subject } };
      if (c.req.method !== "POST") return session.transport.handleRequest(c.req.raw, { authInfo });
      const lean = await leanToolCall(ctx, session, c.req.raw, c.get("requestId"), {
        subject,
        // A DENY for a missing scope answers 403 insufficient_scope, so an OAuth client can step up (the call is recorded as denied).
        ...(oauth ? { onScopeDenied: (needed: string[], body: Record<string, unknown>) => oauth.insufficientScope(c, subject, needed, body) } : {}),
      });
      if ("answered" in lean) return lean.answered;
      return session.transport.handleRequest(lean.forward, { authInfo, ...("parsedBody" in lean ? { parsedBody: lean.parsedBody } : {}) });
    }
    if (c.req.method !== "POST") return jsonRpcError(c, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
    // Shutting down: sessions already open finish their calls, new ones go to another gateway.
    if (draining()) {
      c.header("retry-after", "1");
      return jsonRpcError(c, 503, -32000, "Service Unavailable: the gateway is draining (shutting down); open the session on another gateway");
    }
    const session = await sessions.open(serverId, subject, config.limits.max_body_bytes);
    return session.transport.handleRequest(c.req.raw);
  });

  app.route("/admin/approvals", approvalRoutes(ctx, authenticateAdmin));
  app.route("/admin/audit", auditRoutes(ctx, authenticateAdmin));
  app.route("/console", consoleRoutes(ctx, adminAuth));
  app.post("/admin/bundle", authenticateAdmin, async (c) => {
    if (!c.get("subject").roles.includes("mcpgov-admin")) return c.json({ error: "the mcpgov-admin role is required" }, 403);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    try {
      const bundle = await ctx.bundles.swapFromBytes(bytes, `upload by ${c.get("subject").id}`);
      return c.json({ active: bundle });
    } catch (error) {
      return c.json({ error: (error as Error).message, active: ctx.bundles.current().bundle }, 422);
    }
  });
  app.get("/admin/bundle", authenticateAdmin, (c) => c.json({ active: ctx.bundles.current().bundle }));
  // The owner's fetch of a released output at /mcp/{server}/quarantine/{id} is bound to that endpoint's resource.
  app.route("/", quarantineRoutes(ctx, auth, adminAuth, oauth?.guard(auth, (path) => path.split("/").slice(0, 3).join("/"))));

  app.notFound((c) => jsonRpcError(c, 404, -32601, `No route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    ctx.logger.error({ err: { message: error.message, name: error.name }, request_id: c.get("requestId") }, "request failed");
    return jsonRpcError(c, 500, -32603, "Internal error");
  });
  return app;
}
