/**
 * @module The approvers' admin API: list, inspect, approve and deny approval
 * requests. Mounted behind the admin authenticator; the roles of the signed-in
 * subject and the request's group decide who may act (src/core/approval.ts).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { ApprovalStateSchema } from "../core/approval.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";

type Env = { Variables: { subject: Subject; requestId: string } };

/** Whether the subject may see approval requests at all (any approver group's role or mcpgov-admin). */
export function isApprover(subject: Subject, ctx: GatewayContext): boolean {
  const roles = new Set(Object.values(ctx.config.approvals.groups).flatMap((g) => g.roles));
  return subject.roles.some((role) => role === "mcpgov-admin" || roles.has(role));
}

async function readReason(body: unknown): Promise<string | undefined> {
  if (typeof body !== "object" || body === null) return undefined;
  const reason = (body as Record<string, unknown>)["reason"];
  return typeof reason === "string" ? reason : undefined;
}

export function approvalRoutes(ctx: GatewayContext, authenticate: MiddlewareHandler<Env>): Hono<Env> {
  const app = new Hono<Env>();
  app.use(authenticate);
  app.use(async (c, next) => {
    if (!isApprover(c.get("subject"), ctx)) return c.json({ error: "an approver role is required" }, 403);
    await next();
  });

  app.get("/", async (c) => {
    const state = c.req.query("state");
    if (state !== undefined && !ApprovalStateSchema.safeParse(state).success) {
      return c.json({ error: `state: expected one of ${ApprovalStateSchema.options.join(", ")}` }, 400);
    }
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return c.json({ error: "limit: expected an integer from 1 to 1000" }, 400);
    const group = c.req.query("group");
    const subject = c.get("subject");
    // Other groups' queues are not this approver's to read (arguments may be sensitive).
    const requests = (await ctx.approvals.store.list({ ...(state ? { state: state as never } : {}), ...(group ? { group } : {}), limit })).filter((r) =>
      ctx.approvals.visibleTo(r, subject),
    );
    // The list is for triage: arguments and envelope only on the detail view.
    return c.json({ approvals: requests.map(({ arguments: _a, envelope: _e, ...summary }) => summary) });
  });

  app.get("/:id", async (c) => {
    const request = await ctx.approvals.store.get(c.req.param("id"));
    // Another group's request answers as if it did not exist.
    if (!request || !ctx.approvals.visibleTo(request, c.get("subject"))) return c.json({ error: `no approval request ${c.req.param("id")}` }, 404);
    const { envelope: _e, ...shown } = request;
    return c.json({ approval: shown });
  });

  for (const verdict of ["approve", "deny"] as const) {
    app.post(`/:id/${verdict}`, async (c) => {
      let body: unknown = {};
      if ((c.req.header("content-type") ?? "").includes("application/json")) {
        try {
          body = await c.req.json();
        } catch {
          return c.json({ error: "body: expected a JSON object such as {\"reason\": \"…\"}" }, 400);
        }
      }
      const reason = await readReason(body);
      const subject = c.get("subject");
      const result = await ctx.approvals.decide(c.req.param("id"), subject, "admin-api", verdict === "approve" ? "approved" : "denied", reason ?? "");
      if (!result.ok) return c.json({ error: result.message, ...(result.request ? { state: result.request.state } : {}) }, result.status);
      const { envelope: _e, ...shown } = result.request;
      return c.json({ approval: shown });
    });
  }
  return app;
}
