/**
 * @module Read access to the audit store over the admin API, for auditors
 * and `mcpgov dryrun`: the records of a call or an approval, and a check of
 * the whole chain. Records are as stored (envelopes masked).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { verifyChain } from "../audit/hash-chain.js";
import type { AuditRecord } from "../core/audit-record.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";

type Env = { Variables: { subject: Subject; requestId: string } };

const AUDIT_ROLES = new Set(["mcpgov-admin", "mcpgov-auditor"]);

export function auditRoutes(ctx: GatewayContext, authenticate: MiddlewareHandler<Env>): Hono<Env> {
  const app = new Hono<Env>();
  app.use(authenticate);
  app.use(async (c, next) => {
    if (!c.get("subject").roles.some((role) => AUDIT_ROLES.has(role))) return c.json({ error: "the mcpgov-admin or mcpgov-auditor role is required" }, 403);
    await next();
  });

  app.get("/records", async (c) => {
    const callId = c.req.query("call_id");
    const approvalId = c.req.query("approval_id");
    if (!callId && !approvalId) return c.json({ error: "give call_id or approval_id" }, 400);
    const records: AuditRecord[] = [];
    for await (const record of ctx.audit.query({ ...(callId ? { callId } : {}), ...(approvalId ? { approvalId } : {}), limit: 1000 })) records.push(record);
    return c.json({ records });
  });

  app.get("/verify", async (c) => {
    const head = await ctx.audit.head();
    const verdict = await verifyChain(ctx.audit.iterate(), head ? { head } : {});
    // Intents without an outcome: calls that were dispatched and never recorded an end (a crash, or still running).
    const outcomeUnknown = [];
    for await (const intent of ctx.audit.outcomeUnknown()) outcomeUnknown.push(intent);
    return c.json({ ...verdict, outcome_unknown: outcomeUnknown }, verdict.ok ? 200 : 409);
  });
  return app;
}
