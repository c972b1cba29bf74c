/**
 * @module HTTP routes of the quarantine: the reviewers' admin API under
 * /admin/quarantine and the original client's fetch of a released output
 * at /mcp/{server}/quarantine/{id}. Both authenticate with the gateway's
 * authenticator; what each subject may do is decided in quarantine-review.ts.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Authenticator, Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";
import { type Answer, deliverReleased, inspectItem, listItems, reviewItem, reviewReason } from "./quarantine-review.js";

type Env = { Variables: { subject: Subject } };

const send = (c: Context<Env>, a: Answer): Response =>
  c.body(a.json, a.status, { "content-type": "application/json", ...(a.sensitive ? { "cache-control": "no-store" } : {}) });

/**
 * Reviewers sign in with the admin authenticator; the owner fetches a
 * released output with their MCP credentials (through `clientGuard` when
 * the MCP endpoints are an OAuth resource).
 */
export function quarantineRoutes(ctx: GatewayContext, auth: Authenticator, adminAuth: Authenticator = auth, clientGuard?: MiddlewareHandler<Env>): Hono<Env> {
  const app = new Hono<Env>();

  const authenticated = authenticate(adminAuth);
  const client = clientGuard ?? authenticate(auth);

  app.get("/admin/quarantine", authenticated, async (c) => send(c, await listItems(ctx, c.get("subject"), c.req.query("state"), c.req.query("limit"))));
  app.get("/admin/quarantine/:id", authenticated, async (c) => send(c, await inspectItem(ctx, c.get("subject"), c.req.param("id") ?? "")));

  const limit = bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "request body exceeds 16384 bytes", code: "body_too_large" }, 413) });
  for (const action of ["release", "discard"] as const) {
    app.post(`/admin/quarantine/:id/${action}`, authenticated, limit, async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: 'body: expected JSON {"reason": "…"}', code: "invalid_body" }, 400);
      }
      const reason = reviewReason(body);
      if (!reason.ok) return send(c, reason.answer);
      return send(c, await reviewItem(ctx, c.get("subject"), c.req.param("id") ?? "", action, reason.reason));
    });
  }

  app.get("/mcp/:server/quarantine/:id", client, async (c) => send(c, await deliverReleased(ctx, c.get("subject"), c.req.param("server") ?? "", c.req.param("id") ?? "")));
  return app;
}

function authenticate(auth: Authenticator) {
  return async (c: Context<Env>, next: () => Promise<void>) => {
    const result = await auth.authenticate(c.req.header("authorization"));
    if (!result.ok) {
      c.header("www-authenticate", 'Bearer realm="mcpgov"');
      return c.json({ error: `Unauthorized: ${result.reason}`, code: "unauthorized" }, result.status);
    }
    c.set("subject", result.subject);
    await next();
  };
}
