/** @module The approval binding rules, one test per rule, and who may decide. */
import { describe, expect, it } from "vitest";
import { checkApproval, describeRefusal, mayDecide, mayView, type ApprovalRefusal, type ApprovalRequest } from "./approval.js";

const DIGEST = `sha256:${"d".repeat(64)}`;
const BUNDLE = `sha256:${"a".repeat(64)}`;
const NOW = "2026-04-01T09:30:00.000Z";

/** Only the fields the rules read; the rest of a request does not matter to them. */
function request(fields: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: "apr-1",
    call_id: "call-1",
    created_at: "2026-04-01T09:00:00.000Z",
    expires_at: "2026-04-01T10:00:00.000Z",
    state: "approved",
    call_digest: DIGEST,
    subject: { id: "alice" },
    bundle: { hash: BUNDLE, revision: "r1" },
    group: "platform",
    decided_by: { id: "bob", via: "admin-api" },
    ...fields,
  } as ApprovalRequest;
}

const call = (fields: Partial<{ digest: string; subjectId: string; activeBundleHash: string; now: string }> = {}) => ({
  digest: DIGEST,
  subjectId: "alice",
  activeBundleHash: BUNDLE,
  now: NOW,
  ...fields,
});

describe("checkApproval", () => {
  it("lets an approved request run the very call it binds, under its bundle, before its expiry", () => {
    expect(checkApproval(request(), call())).toEqual({ ok: true });
  });

  it("refuses another subject", () => {
    expect(checkApproval(request(), call({ subjectId: "mallory" }))).toEqual({ ok: false, refusal: { kind: "other_subject" } });
  });

  it("refuses different arguments (another call digest)", () => {
    expect(checkApproval(request(), call({ digest: `sha256:${"e".repeat(64)}` }))).toEqual({ ok: false, refusal: { kind: "arguments_differ" } });
  });

  it("refuses once the bundle that required it is no longer active", () => {
    const active = `sha256:${"b".repeat(64)}`;
    expect(checkApproval(request(), call({ activeBundleHash: active }))).toEqual({ ok: false, refusal: { kind: "bundle_changed", required: BUNDLE, active } });
  });

  it("refuses at and after the expiry, even when still marked approved", () => {
    const expired = { ok: false, refusal: { kind: "expired", at: "2026-04-01T10:00:00.000Z" } };
    expect(checkApproval(request(), call({ now: "2026-04-01T10:00:00.000Z" }))).toEqual(expired);
    expect(checkApproval(request(), call({ now: "2026-04-01T11:00:00.000Z" }))).toEqual(expired);
    expect(checkApproval(request({ state: "expired" }), call())).toEqual(expired);
  });

  it("refuses an approval already used, naming the call that used it", () => {
    expect(checkApproval(request({ state: "used", used_by_call: "call-7" }), call())).toEqual({ ok: false, refusal: { kind: "already_used", by: "call-7" } });
  });

  it("refuses a denied request, with who denied it and why", () => {
    expect(checkApproval(request({ state: "denied", decision_reason: "prod freeze" }), call())).toEqual({
      ok: false,
      refusal: { kind: "denied", by: "bob", reason: "prod freeze" },
    });
  });

  it("refuses a void request, with the reason", () => {
    expect(checkApproval(request({ state: "void", void_reason: "bundle replaced" }), call())).toEqual({ ok: false, refusal: { kind: "void", reason: "bundle replaced" } });
  });

  it("refuses a request nobody has decided yet", () => {
    expect(checkApproval(request({ state: "pending", decided_by: undefined }), call())).toEqual({ ok: false, refusal: { kind: "pending" } });
  });

  it("puts the binding before the state: another subject never learns how the request stands", () => {
    expect(checkApproval(request({ state: "denied", decision_reason: "secret reason" }), call({ subjectId: "mallory" }))).toEqual({
      ok: false,
      refusal: { kind: "other_subject" },
    });
  });
});

describe("describeRefusal", () => {
  it.each<[ApprovalRefusal, string]>([
    [{ kind: "other_subject" }, "approval apr-1 belongs to another subject"],
    [{ kind: "arguments_differ" }, "approval apr-1 was granted for different arguments"],
    [{ kind: "bundle_changed", required: "sha256:aa", active: "sha256:bb" }, "approval apr-1 was required by bundle sha256:aa, but sha256:bb is active now"],
    [{ kind: "expired", at: "2026-04-01T10:00:00.000Z" }, "approval apr-1 expired at 2026-04-01T10:00:00.000Z"],
    [{ kind: "already_used", by: "call-7" }, "approval apr-1 was already used by call call-7"],
    [{ kind: "denied", by: "bob", reason: "prod freeze" }, "approval apr-1 was denied by bob: prod freeze"],
    [{ kind: "denied", by: "bob", reason: "" }, "approval apr-1 was denied by bob"],
    [{ kind: "void", reason: "bundle replaced" }, "approval apr-1 is void: bundle replaced"],
    [{ kind: "pending" }, "approval apr-1 is still waiting for an approver"],
  ])("says %j in words", (refusal, text) => {
    expect(describeRefusal("apr-1", refusal)).toBe(text);
  });
});

describe("mayDecide", () => {
  const groups = { platform: ["platform-approver"], empty: [] };

  it("lets a member of the group's roles decide", () => {
    expect(mayDecide(request(), { id: "bob", roles: ["developer", "platform-approver"] }, groups)).toEqual({ ok: true });
  });

  it("lets mcpgov-admin decide for any group, configured or not", () => {
    expect(mayDecide(request({ group: "nobody-configured" }), { id: "root", roles: ["mcpgov-admin"] }, groups)).toEqual({ ok: true });
  });

  it("never lets the requester decide their own request, whatever their roles", () => {
    expect(mayDecide(request(), { id: "alice", roles: ["platform-approver", "mcpgov-admin"] }, groups)).toEqual({
      ok: false,
      reason: "the requester cannot decide their own request",
    });
  });

  it("refuses someone without the group's roles, naming the roles needed", () => {
    const refused = mayDecide(request(), { id: "carol", roles: ["security-approver"] }, groups);
    expect(refused).toEqual({ ok: false, reason: 'approving for group "platform" needs one of the roles platform-approver or mcpgov-admin' });
  });

  it("says so when the group has no roles configured", () => {
    expect(mayDecide(request({ group: "empty" }), { id: "carol", roles: [] }, groups)).toMatchObject({ ok: false, reason: expect.stringContaining("(none configured)") });
    expect(mayDecide(request({ group: "unknown" }), { id: "carol", roles: ["platform-approver"] }, groups)).toMatchObject({ ok: false });
  });
});

describe("mayView", () => {
  const groups = { default: ["approver"], security: ["security-approver"] };
  it("shows a request to holders of its group's roles and to mcpgov-admin only", () => {
    expect(mayView({ group: "security" }, { roles: ["security-approver"] }, groups)).toBe(true);
    expect(mayView({ group: "security" }, { roles: ["approver"] }, groups)).toBe(false);
    expect(mayView({ group: "security" }, { roles: ["mcpgov-admin"] }, groups)).toBe(true);
    expect(mayView({ group: "unconfigured" }, { roles: ["approver", "security-approver"] }, groups)).toBe(false);
  });
});
