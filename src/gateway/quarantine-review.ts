/**
 * @module What reviewers and the original client may do with a withheld
 * output, and the audit record each step leaves. Transport-free: the HTTP
 * routes (admin-quarantine-routes.ts) only map requests to these.
 *
 * - A reviewer (role mcpgov-reviewer or mcpgov-admin) lists metadata,
 *   inspects content, and releases or discards a held item with a reason.
 *   Nobody reviews an output withheld from themselves.
 * - Release does not push anything anywhere: it lets the subject the output
 *   was withheld from (same id and tenant, nobody else) fetch it from
 *   `GET /mcp/{server}/quarantine/{id}` with its own credentials.
 * - Every transition, inspection and delivery is audited as a
 *   `quarantine.*` event linked to the original call id and the
 *   quarantine id, so `mcpgov audit why` tells the whole story. Content leaves only after its record is durable.
 * - Retention (`output.retention_hours`) deletes old content: the gateway
 *   discards held items and empties released ones, and audits each.
 */
import { appendEvent } from "../audit/audit-event.js";
import { describeThrown } from "../core/errors.js";
import { QuarantineStateSchema, type QuarantineItem, type QuarantineState } from "../quarantine/quarantine-store.js";
import type { Subject } from "./auth.js";
import type { GatewayContext } from "./context.js";

export const REVIEWER_ROLES = ["mcpgov-reviewer", "mcpgov-admin"] as const;
export const MAX_REVIEW_REASON = 1_000;

export const isReviewer = (subject: Subject): boolean => subject.roles.some((role) => (REVIEWER_ROLES as readonly string[]).includes(role));

const sameSubject = (a: Subject | QuarantineItem["subject"], b: QuarantineItem["subject"]): boolean => a.id === b.id && (a.tenant ?? null) === (b.tenant ?? null);

/** An HTTP-shaped answer; `json` is sent as is, so stored content keeps its exact bytes. */
export interface Answer {
  status: 200 | 400 | 403 | 404 | 409 | 410 | 500;
  json: string;
  /** Set on answers that carry withheld content: no cache may keep them. */
  sensitive?: boolean;
}

const answer = (status: Answer["status"], body: unknown): Answer => ({ status, json: JSON.stringify(body) });
const failure = (status: Answer["status"], code: string, error: string, item?: QuarantineItem): Answer => answer(status, { error, code, ...(item ? { item } : {}) });
const notFound = (id: string): Answer => failure(404, "not_found", `no quarantined output ${JSON.stringify(id.slice(0, 80))}`);

type Event = "release" | "discard" | "inspect" | "deliver" | "not-owner" | "expire";

/** The event each step records, and how the step reads in words. */
const EVENTS: Record<Event, { event: string; verb: string }> = {
  release: { event: "quarantine.released", verb: "released" },
  discard: { event: "quarantine.discarded", verb: "discarded" },
  inspect: { event: "quarantine.inspected", verb: "inspected" },
  deliver: { event: "quarantine.delivered", verb: "fetched the released" },
  "not-owner": { event: "quarantine.refused", verb: "was refused (not the subject it was withheld from)" },
  expire: { event: "quarantine.expired", verb: "deleted the content of" },
};

/** The gateway itself, as the actor of retention. */
const GATEWAY_SUBJECT: Subject = { id: "mcpgov", roles: [], scopes: [] };

/** Appends the event record of one step on an item; resolves once it is durable (a failure is logged, counted and thrown). */
async function auditEvent(ctx: GatewayContext, item: QuarantineItem, event: Event, actor: Subject, note?: string): Promise<void> {
  const { event: name, verb } = EVENTS[event];
  await appendEvent(
    { audit: ctx.audit, logger: ctx.logger, failures: ctx.metrics.auditEventWriteFailures },
    {
      event: name,
      time: ctx.clock().toISOString(),
      subject: { id: actor.id, ...(actor.tenant !== undefined ? { tenant: actor.tenant } : {}) },
      server: item.server,
      tool: item.tool,
      bundle: ctx.bundles.current().bundle,
      callId: item.call_id,
      quarantineId: item.id,
      details: { state: item.state, reason: `${actor.id} ${verb} quarantined output ${item.id}${note ? `: ${note}` : ""}` },
    },
  );
}

/** `GET /admin/quarantine?state=`: metadata only. */
export async function listItems(ctx: GatewayContext, reviewer: Subject, state: string | undefined, limit: string | undefined): Promise<Answer> {
  if (!isReviewer(reviewer)) return forbidden();
  let filterState: QuarantineState | undefined;
  if (state !== undefined && state !== "all") {
    const parsed = QuarantineStateSchema.safeParse(state);
    if (!parsed.success) return failure(400, "invalid_state", `state: expected one of held, released, discarded, all`);
    filterState = parsed.data;
  }
  const max = limit === undefined ? 100 : Number(limit);
  if (!Number.isInteger(max) || max < 1 || max > 1000) return failure(400, "invalid_limit", "limit: expected an integer from 1 to 1000");
  // Absent state means the review queue.
  const items = await ctx.quarantine.list({ ...(state === "all" ? {} : { state: filterState ?? "held" }), limit: max });
  return answer(200, { items });
}

/** `GET /admin/quarantine/:id`: the item and its withheld result; the inspection is audited first. */
export async function inspectItem(ctx: GatewayContext, reviewer: Subject, id: string): Promise<Answer> {
  if (!isReviewer(reviewer)) return forbidden();
  const found = await ctx.quarantine.content(id);
  if (!found) return notFound(id);
  if (sameSubject(reviewer, found.item.subject)) return ownOutput(found.item);
  await auditEvent(ctx, found.item, "inspect", reviewer);
  return { status: 200, json: `{"item":${JSON.stringify(found.item)},"result":${found.result_json ?? "null"}}`, sensitive: true };
}

/** Checks a review request body: `{"reason": "…"}` with a non-empty reason. */
export function reviewReason(body: unknown): { ok: true; reason: string } | { ok: false; answer: Answer } {
  const reason = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { reason?: unknown }).reason : undefined;
  if (typeof reason !== "string" || reason.trim() === "") {
    return { ok: false, answer: failure(400, "reason_required", 'reason: required, a non-empty string (send {"reason": "…"})') };
  }
  if (reason.length > MAX_REVIEW_REASON) return { ok: false, answer: failure(400, "reason_too_long", `reason: at most ${MAX_REVIEW_REASON} characters`) };
  return { ok: true, reason: reason.trim() };
}

/** `POST /admin/quarantine/:id/release|discard`. */
export async function reviewItem(ctx: GatewayContext, reviewer: Subject, id: string, action: "release" | "discard", reason: string): Promise<Answer> {
  if (!isReviewer(reviewer)) return forbidden();
  const current = await ctx.quarantine.get(id);
  if (!current) return notFound(id);
  if (action === "release" && sameSubject(reviewer, current.subject)) return ownOutput(current);
  const review = { reviewer: reviewer.id, reason, time: ctx.clock().toISOString() };
  const result = action === "release" ? await ctx.quarantine.release(id, review) : await ctx.quarantine.discard(id, review);
  if (!result.ok) {
    if (result.error === "not_found") return notFound(id);
    const by = result.item.reviewer ? ` by ${result.item.reviewer} at ${result.item.reviewed_at}` : "";
    return failure(409, "wrong_state", `${id} is already ${result.item.state}${by}; only a held output can be ${action === "release" ? "released" : "discarded"}`, result.item);
  }
  ctx.metrics.quarantineReviews.inc({ action: result.item.state });
  try {
    await auditEvent(ctx, result.item, action, reviewer, reason);
  } catch (error) {
    // The transition is committed and cannot be taken back; say plainly that its record is missing.
    ctx.logger.error({ quarantine_id: id, action, error: describeThrown(error) }, "quarantine transition committed but not audited");
    return failure(500, "audit_failed", `${id} is ${result.item.state}, but its audit record could not be written`, result.item);
  }
  ctx.logger.info({ quarantine_id: id, call_id: result.item.call_id, action, reviewer: reviewer.id }, "quarantine reviewed");
  return answer(200, { item: result.item });
}

/**
 * `GET /mcp/:server/quarantine/:id` for the MCP client: a released output,
 * to the subject it was withheld from only. Anyone else hears "no such
 * output", so ids cannot be probed for existence across subjects.
 */
export async function deliverReleased(ctx: GatewayContext, subject: Subject, serverId: string, id: string): Promise<Answer> {
  const found = await ctx.quarantine.content(id);
  if (!found || found.item.server !== serverId) return notFound(id);
  const { item, result_json } = found;
  if (!sameSubject(subject, item.subject)) {
    await auditEvent(ctx, item, "not-owner", subject);
    return notFound(id);
  }
  if (item.state === "held") return failure(409, "held", `${id} is held for review and has not been released`);
  if (item.state === "discarded") return failure(410, "discarded", `${id} was discarded by ${item.reviewer}; its content is deleted`);
  if (result_json === undefined) return failure(410, "expired", `${id} was released, but its content was deleted when retention (output.retention_hours) expired`);
  await auditEvent(ctx, item, "deliver", subject);
  ctx.metrics.quarantineReviews.inc({ action: "delivered" });
  return {
    status: 200,
    json: `{"quarantine_id":${JSON.stringify(item.id)},"call_id":${JSON.stringify(item.call_id)},"released_by":${JSON.stringify(item.reviewer)},"released_at":${JSON.stringify(item.reviewed_at)},"result":${result_json}}`,
    sensitive: true,
  };
}

function forbidden(): Answer {
  return failure(403, "forbidden", `the ${REVIEWER_ROLES.join(" or ")} role is required`);
}

function ownOutput(item: QuarantineItem): Answer {
  return failure(403, "own_output", `${item.id} was withheld from ${item.subject.id}; another reviewer must decide it`);
}

/**
 * Deletes withheld content older than `output.retention_hours` and audits
 * each item it touched. Returns how many; the caller runs it on a timer.
 */
export async function expireQuarantine(ctx: GatewayContext, now: Date = ctx.clock()): Promise<number> {
  const hours = ctx.config.output.retention_hours;
  const before = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const expired = await ctx.quarantine.expire(before, {
    reviewer: GATEWAY_SUBJECT.id,
    reason: `retention of ${hours} h (output.retention_hours) expired`,
    time: now.toISOString(),
  });
  for (const item of expired) {
    ctx.metrics.quarantineReviews.inc({ action: "expired" });
    await auditEvent(ctx, item, "expire", GATEWAY_SUBJECT, `retention of ${hours} h expired`);
  }
  if (expired.length > 0) ctx.logger.info({ count: expired.length, before }, "quarantine retention: content deleted");
  return expired.length;
}
