/**
 * @module Approval requests: what a `REQUIRE_APPROVAL` decision puts in
 * front of a human, and the binding rules that decide whether an approval
 * may run a given call. Pure: the adapters compute digests and times.
 *
 * An approval means exactly what the approver saw: one call (server, tool,
 * canonical arguments, subject) under one policy bundle. The call digest
 * covers the first four; the bundle hash is kept beside it.
 */
import { z } from "zod";
import { BundleRefSchema, ConstraintsSchema } from "./decision.js";
import { EnvelopeSchema } from "./envelope.js";

export const ApprovalStateSchema = z
  .enum(["pending", "approved", "denied", "expired", "used", "void"])
  .describe(
    "pending: waiting for an approver; approved: may run the call once; denied: refused by an approver; " +
      "expired: nobody decided (or nobody used the approval) in time; used: ran its call; void: the bundle that required it is no longer active.",
  );
export type ApprovalState = z.infer<typeof ApprovalStateSchema>;

/** States from which nothing moves on. */
export const FINAL_STATES: readonly ApprovalState[] = ["denied", "expired", "used", "void"];

const Time = z.iso.datetime({ precision: 3 });
const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex digits>");

export const ApproverSchema = z.strictObject({
  id: z.string().min(1),
  /** How the approver acted: the admin API (with their token) or directly on the store. */
  via: z.enum(["admin-api", "console", "local-store"]),
});
export type Approver = z.infer<typeof ApproverSchema>;

export const ApprovalRequestSchema = z
  .strictObject({
    id: z.string().min(1),
    /** The call that asked first; the call that runs it may be a later identical retry. */
    call_id: z.string().min(1),
    created_at: Time,
    expires_at: Time,
    state: ApprovalStateSchema,
    call_digest: Digest.describe("sha256 over the canonical JSON of {server, tool, arguments, subject: {id, tenant}}."),
    server: z.string().min(1),
    tool: z.string().min(1),
    arguments: z.record(z.string(), z.unknown()).describe("The call's arguments, shown to the approver as they will run."),
    subject: z.strictObject({ id: z.string().min(1), tenant: z.string().optional() }),
    bundle: BundleRefSchema.describe("The bundle whose decision required the approval."),
    rules: z.array(z.string().min(1)).min(1),
    reason: z.string().min(1),
    constraints: ConstraintsSchema,
    group: z.string().min(1).describe("The approver group whose queue holds the request."),
    /** The envelope as decided (secrets masked), so evidence can be written after a restart. */
    envelope: EnvelopeSchema,
    decided_by: ApproverSchema.optional(),
    decided_at: Time.optional(),
    decision_reason: z.string().optional(),
    used_by_call: z.string().optional(),
    used_at: Time.optional(),
    void_reason: z.string().optional(),
  })
  .describe("mcpgov approval request");
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/** The fields the call digest covers, in the one shape every adapter hashes. */
export function callBinding(call: { server: string; tool: string; arguments: Record<string, unknown>; subject: { id: string; tenant?: string | undefined } }) {
  return {
    server: call.server,
    tool: call.tool,
    arguments: call.arguments,
    subject: { id: call.subject.id, ...(call.subject.tenant !== undefined ? { tenant: call.subject.tenant } : {}) },
  };
}

/** Why an approval cannot run a call; each is one binding rule. */
export type ApprovalRefusal =
  | { kind: "other_subject" }
  | { kind: "arguments_differ" }
  | { kind: "bundle_changed"; required: string; active: string }
  | { kind: "expired"; at: string }
  | { kind: "already_used"; by: string }
  | { kind: "denied"; by: string; reason: string }
  | { kind: "void"; reason: string }
  | { kind: "pending" };

/**
 * May this approval run this call now? The order matters only for the
 * message: every failing rule alone is enough to refuse.
 */
export function checkApproval(
  request: ApprovalRequest,
  call: { digest: string; subjectId: string; activeBundleHash: string; now: string },
): { ok: true } | { ok: false; refusal: ApprovalRefusal } {
  if (request.subject.id !== call.subjectId) return { ok: false, refusal: { kind: "other_subject" } };
  if (request.call_digest !== call.digest) return { ok: false, refusal: { kind: "arguments_differ" } };
  switch (request.state) {
    case "used":
      return { ok: false, refusal: { kind: "already_used", by: request.used_by_call ?? "another call" } };
    case "denied":
      return { ok: false, refusal: { kind: "denied", by: request.decided_by?.id ?? "an approver", reason: request.decision_reason ?? "" } };
    case "void":
      return { ok: false, refusal: { kind: "void", reason: request.void_reason ?? "voided" } };
    case "expired":
      return { ok: false, refusal: { kind: "expired", at: request.expires_at } };
    case "pending":
    case "approved":
      break;
  }
  if (request.bundle.hash !== call.activeBundleHash) {
    return { ok: false, refusal: { kind: "bundle_changed", required: request.bundle.hash, active: call.activeBundleHash } };
  }
  if (call.now >= request.expires_at) return { ok: false, refusal: { kind: "expired", at: request.expires_at } };
  if (request.state === "pending") return { ok: false, refusal: { kind: "pending" } };
  return { ok: true };
}

export function describeRefusal(id: string, refusal: ApprovalRefusal): string {
  switch (refusal.kind) {
    case "other_subject":
      return `approval ${id} belongs to another subject`;
    case "arguments_differ":
      return `approval ${id} was granted for different arguments`;
    case "bundle_changed":
      return `approval ${id} was required by bundle ${refusal.required}, but ${refusal.active} is active now`;
    case "expired":
      return `approval ${id} expired at ${refusal.at}`;
    case "already_used":
      return `approval ${id} was already used by call ${refusal.by}`;
    case "denied":
      return `approval ${id} was denied by ${refusal.by}${refusal.reason ? `: ${refusal.reason}` : ""}`;
    case "void":
      return `approval ${id} is void: ${refusal.reason}`;
    case "pending":
      return `approval ${id} is still waiting for an approver`;
  }
}

/** Who may decide a request: a member of its group's roles, never its requester. */
export function mayDecide(
  request: Pick<ApprovalRequest, "subject" | "group">,
  approver: { id: string; roles: readonly string[] },
  groupRoles: Readonly<Record<string, readonly string[]>>,
): { ok: true } | { ok: false; reason: string } {
  if (approver.id === request.subject.id) return { ok: false, reason: "the requester cannot decide their own request" };
  const roles = groupRoles[request.group] ?? [];
  if (!approver.roles.some((role) => roles.includes(role) || role === "mcpgov-admin")) {
    return { ok: false, reason: `approving for group "${request.group}" needs one of the roles ${roles.length > 0 ? roles.join(", ") : "(none configured)"} or mcpgov-admin` };
  }
  return { ok: true };
}

/**
 * Whether an approver may see a request at all (its arguments may be
 * sensitive): mcpgov-admin sees every queue, others the queues of the
 * groups whose roles they hold.
 */
export function mayView(request: Pick<ApprovalRequest, "group">, viewer: { roles: readonly string[] }, groupRoles: Readonly<Record<string, readonly string[]>>): boolean {
  if (viewer.roles.includes("mcpgov-admin")) return true;
  const roles = groupRoles[request.group] ?? [];
  return viewer.roles.some((role) => roles.includes(role));
}
