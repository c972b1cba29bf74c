/**
 * @module The ApprovalStore contract: one suite every implementation runs
 * (SQLite now, PostgreSQL later), so stores stay interchangeable. The
 * transitions are the point: each one is a compare-and-set, and `consume`
 * (an approval turning into an execution) must have exactly one winner.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { jsonDigest } from "../src/bundle/hash.js";
import { ApprovalRequestSchema, callBinding, type ApprovalRequest, type ApprovalState } from "../src/core/approval.js";
import type { ApprovalStore, Transition } from "../src/approvals/approval-store.js";
import { envelopeFor } from "./helpers/audit-fixtures.js";
import { storeHarness, type StoreStorage } from "./helpers/store-contract.js";

/** Empty storage for one test: `open` connects to it (call it twice for two connections). */
export interface ApprovalStoreStorage extends StoreStorage<ApprovalStore> {
  /**
   * Edits request `id` behind the store's back into a shape the schema
   * refuses (as a hand edit in the database would); the returned function
   * puts the original back. Absent where the storage cannot be edited.
   */
  tamper?(id: string): Promise<() => Promise<void>>;
}

export type ApprovalStoreFactory = () => Promise<ApprovalStoreStorage>;

export const BUNDLE_A = { hash: `sha256:${"a".repeat(64)}`, revision: "2026-04-01.1" };
export const BUNDLE_B = { hash: `sha256:${"b".repeat(64)}`, revision: "2026-04-02.1" };

/** Arguments an approver must see exactly as they will run: unicode, nesting, numbers, nulls. */
export const AWKWARD_ARGUMENTS = {
  title: "Ünïcödé ✓ — 日本語 🚀",
  body: "line 1\nline 2\t\"quoted\" \\ backslash",
  labels: ["prod", "urgent"],
  nested: { depth: { deeper: [1, 2.5, -3, null, true, { key: "välue" }] }, empty: {} },
};

/** A valid pending request created at `minute` after 09:00, expiring an hour later unless told. */
export function pendingRequest(id: string, fields: Partial<ApprovalRequest> & { minute?: number } = {}): ApprovalRequest {
  const { minute = 0, ...rest } = fields;
  const envelope = envelopeFor(`call-${id}`, { arguments: AWKWARD_ARGUMENTS, minute });
  const subject = { id: envelope.subject.id, tenant: "acme" };
  const created = new Date(Date.UTC(2026, 3, 1, 9, minute));
  return {
    id,
    call_id: `call-${id}`,
    created_at: created.toISOString(),
    expires_at: new Date(created.getTime() + 3_600_000).toISOString(),
    state: "pending",
    call_digest: jsonDigest(callBinding({ server: "github", tool: "create_issue", arguments: AWKWARD_ARGUMENTS, subject })),
    server: "github",
    tool: "create_issue",
    arguments: AWKWARD_ARGUMENTS,
    subject,
    bundle: BUNDLE_A,
    rules: ["approve-prod-writes"],
    reason: "approve-prod-writes: writes to prod need an approver",
    constraints: { approval_timeout_sec: 3600, approver_group: "platform" },
    group: "platform",
    envelope,
    ...rest,
  };
}

const T = (minute: number) => new Date(Date.UTC(2026, 3, 1, 9, minute)).toISOString();
const BOB = { id: "bob", via: "admin-api" as const };
const approve = (at = T(5), reason = "looks right") => ({ state: "approved" as const, by: BOB, reason, at });
const useBy = (request: ApprovalRequest, callId = "call-retry", at = T(10)) => ({ callId, subjectId: request.subject.id, bundleHash: request.bundle.hash, at });

function expectOk(result: Transition): ApprovalRequest {
  if (!result.ok) throw new Error(`expected the transition to happen, got ${JSON.stringify(result)}`);
  return result.request;
}

export function approvalStoreContract(name: string, factory: ApprovalStoreFactory): void {
  describe(`ApprovalStore contract: ${name}`, () => {
    const harness = storeHarness(factory);
    const { open } = harness;
    let store: ApprovalStore;
    beforeEach(() => {
      store = harness.store;
    });

    describe("create and read", () => {
      it("gives back every field exactly as created, unicode and nested arguments included", async () => {
        const request = pendingRequest("apr-1");
        const created = await store.create(request);
        expect(created).toEqual(request);
        expect(await store.get("apr-1")).toEqual(request);
        expect((await store.get("apr-1"))?.arguments).toEqual(AWKWARD_ARGUMENTS);
        expect(() => ApprovalRequestSchema.parse(created)).not.toThrow();
      });

      it("answers undefined for an unknown id", async () => {
        expect(await store.get("apr-nope")).toBeUndefined();
      });

      it.each([
        ["call_digest", { call_digest: "md5:abc" }],
        ["expires_at", { expires_at: "tomorrow" }],
        ["rules", { rules: [] }],
        ["group", { group: "" }],
        ["state", { state: "maybe" as ApprovalState }],
      ])("refuses a request with an invalid %s, naming the field, and keeps nothing", async (field, bad) => {
        await expect(store.create({ ...pendingRequest("apr-bad"), ...bad })).rejects.toMatchObject({ code: "input_invalid", message: expect.stringContaining(field) });
        expect(await store.list()).toEqual([]);
      });

      it("refuses a second request with an id already taken and keeps the first", async () => {
        const first = await store.create(pendingRequest("apr-1"));
        await expect(store.create(pendingRequest("apr-1", { reason: "impostor: same id" }))).rejects.toMatchObject({ code: "io_error" });
        expect(await store.get("apr-1")).toEqual(first);
      });
    });

    describe("list", () => {
      it("lists newest first, filtered by state, group, subject and call digest, limited", async () => {
        const a = await store.create(pendingRequest("apr-a", { minute: 0 }));
        const b = await store.create(pendingRequest("apr-b", { minute: 1, group: "security" }));
        const c = await store.create(pendingRequest("apr-c", { minute: 2, subject: { id: "carol" }, call_digest: `sha256:${"c".repeat(64)}` }));
        const d = await store.create(pendingRequest("apr-d", { minute: 3 }));
        expectOk(await store.decide(d.id, approve()));
        const ids = (rs: ApprovalRequest[]) => rs.map((r) => r.id);

        expect(ids(await store.list())).toEqual(["apr-d", "apr-c", "apr-b", "apr-a"]);
        expect(ids(await store.list({ state: "pending" }))).toEqual(["apr-c", "apr-b", "apr-a"]);
        expect(ids(await store.list({ state: "approved" }))).toEqual(["apr-d"]);
        expect(await store.list({ state: "used" })).toEqual([]);
        expect(ids(await store.list({ group: "security" }))).toEqual(["apr-b"]);
        expect(ids(await store.list({ subjectId: "carol" }))).toEqual(["apr-c"]);
        expect(ids(await store.list({ callDigest: a.call_digest }))).toEqual(["apr-d", "apr-b", "apr-a"]);
        expect(ids(await store.list({ callDigest: c.call_digest, subjectId: a.subject.id }))).toEqual([]);
        expect(ids(await store.list({ state: "pending", group: "platform" }))).toEqual(["apr-c", "apr-a"]);
        expect(ids(await store.list({ limit: 2 }))).toEqual(["apr-d", "apr-c"]);
        expect(ids(await store.list({ state: "pending", limit: 1 }))).toEqual([c.id]);
        expect(b.group).toBe("security");
      });

      it("refuses a limit that is not a positive integer rather than listing everything", async () => {
        await store.create(pendingRequest("apr-1"));
        for (const limit of [0, -1, 1.5]) await expect(store.list({ limit })).rejects.toMatchObject({ code: "input_invalid", message: expect.stringContaining("limit") });
      });
    });

    describe("decide", () => {
      it("moves pending to approved once, recording who, why and when; a second decision finds it approved", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const approved = expectOk(await store.decide(request.id, approve(T(5), "checked the diff")));
        expect(approved).toEqual({ ...request, state: "approved", decided_by: BOB, decided_at: T(5), decision_reason: "checked the diff" });
        expect(await store.get(request.id)).toEqual(approved);
        const again = await store.decide(request.id, { state: "denied", by: { id: "eve", via: "console" }, reason: "too late", at: T(6) });
        expect(again).toEqual({ ok: false, reason: "wrong_state", request: approved });
      });

      it("moves pending to denied once; a later approval finds it denied", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const denied = expectOk(await store.decide(request.id, { state: "denied", by: BOB, reason: "not in a freeze", at: T(5) }));
        expect(denied).toMatchObject({ state: "denied", decided_by: BOB, decision_reason: "not in a freeze" });
        expect(await store.decide(request.id, approve(T(6)))).toEqual({ ok: false, reason: "wrong_state", request: denied });
      });

      it("keeps an empty approval reason as given", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        expect(expectOk(await store.decide(request.id, approve(T(5), ""))).decision_reason).toBe("");
      });

      it("does not decide a request at or after its expiry", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const atExpiry = await store.decide(request.id, approve(request.expires_at));
        expect(atExpiry).toEqual({ ok: false, reason: "wrong_state", request });
        expect(await store.decide(request.id, approve(T(120)))).toEqual({ ok: false, reason: "wrong_state", request });
        expect((await store.get(request.id))?.state).toBe("pending");
      });

      it("answers not_found for an unknown id", async () => {
        expect(await store.decide("apr-nope", approve())).toEqual({ ok: false, reason: "not_found" });
      });
    });

    describe("consume", () => {
      it("moves approved to used for one call, recording which and when", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const approved = expectOk(await store.decide(request.id, approve()));
        const used = expectOk(await store.consume(request.id, useBy(request, "call-retry", T(10))));
        expect(used).toEqual({ ...approved, state: "used", used_by_call: "call-retry", used_at: T(10) });
        expect(await store.consume(request.id, useBy(request, "call-again", T(11)))).toEqual({ ok: false, reason: "wrong_state", request: used });
      });

      it("does not consume a pending, denied or void request", async () => {
        const pending = await store.create(pendingRequest("apr-p"));
        expect(await store.consume(pending.id, useBy(pending))).toEqual({ ok: false, reason: "wrong_state", request: pending });
        const denied = await store.create(pendingRequest("apr-d"));
        const deniedNow = expectOk(await store.decide(denied.id, { state: "denied", by: BOB, reason: "no", at: T(5) }));
        expect(await store.consume(denied.id, useBy(denied))).toEqual({ ok: false, reason: "wrong_state", request: deniedNow });
        const voided = await store.create(pendingRequest("apr-v"));
        expectOk(await store.decide(voided.id, approve()));
        const voidNow = expectOk(await store.voidRequest(voided.id, "bundle replaced"));
        expect(await store.consume(voided.id, useBy(voided))).toEqual({ ok: false, reason: "wrong_state", request: voidNow });
      });

      it("does not consume for another subject or under another bundle, and the approval stays usable", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const approved = expectOk(await store.decide(request.id, approve()));
        expect(await store.consume(request.id, { ...useBy(request), subjectId: "mallory" })).toEqual({ ok: false, reason: "wrong_state", request: approved });
        expect(await store.consume(request.id, { ...useBy(request), bundleHash: BUNDLE_B.hash })).toEqual({ ok: false, reason: "wrong_state", request: approved });
        expect((await store.get(request.id))?.state).toBe("approved");
        expectOk(await store.consume(request.id, useBy(request)));
      });

      it("does not consume at or after the expiry", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const approved = expectOk(await store.decide(request.id, approve()));
        expect(await store.consume(request.id, useBy(request, "late", request.expires_at))).toEqual({ ok: false, reason: "wrong_state", request: approved });
        expect(await store.consume(request.id, useBy(request, "later", T(61)))).toEqual({ ok: false, reason: "wrong_state", request: approved });
      });

      it("answers not_found for an unknown id", async () => {
        expect(await store.consume("apr-nope", useBy(pendingRequest("apr-nope")))).toEqual({ ok: false, reason: "not_found" });
      });

      it("has exactly one winner when two connections race to consume, round after round", async () => {
        const other = await open();
        const rounds = 50;
        const winners: string[] = [];
        for (let round = 0; round < rounds; round++) {
          const request = await store.create(pendingRequest(`apr-race-${round}`));
          expectOk(await other.decide(request.id, approve()));
          const results = await Promise.all([
            store.consume(request.id, useBy(request, `call-a-${round}`)),
            other.consume(request.id, useBy(request, `call-b-${round}`)),
            store.consume(request.id, useBy(request, `call-c-${round}`)),
            other.consume(request.id, useBy(request, `call-d-${round}`)),
          ]);
          const ok = results.filter((r) => r.ok);
          expect(ok, `round ${round}`).toHaveLength(1);
          const final = await other.get(request.id);
          expect(final).toEqual(ok[0]!.request);
          for (const loser of results.filter((r) => !r.ok)) expect(loser).toEqual({ ok: false, reason: "wrong_state", request: final });
          winners.push(final!.used_by_call!);
        }
        expect(winners).toHaveLength(rounds);
        expect(await store.countByState()).toMatchObject({ used: rounds, approved: 0 });
      });
    });

    describe("void, expiry and bundles", () => {
      it("voids pending and approved requests with a reason, and nothing else", async () => {
        const pending = await store.create(pendingRequest("apr-p"));
        const approved = await store.create(pendingRequest("apr-a"));
        expectOk(await store.decide(approved.id, approve()));
        expect(expectOk(await store.voidRequest(pending.id, "bundle gone"))).toEqual({ ...pending, state: "void", void_reason: "bundle gone" });
        expect(expectOk(await store.voidRequest(approved.id, "bundle gone"))).toMatchObject({ state: "void", decided_by: BOB, void_reason: "bundle gone" });

        const denied = await store.create(pendingRequest("apr-d"));
        const deniedNow = expectOk(await store.decide(denied.id, { state: "denied", by: BOB, reason: "no", at: T(5) }));
        expect(await store.voidRequest(denied.id, "x")).toEqual({ ok: false, reason: "wrong_state", request: deniedNow });
        const used = await store.create(pendingRequest("apr-u"));
        expectOk(await store.decide(used.id, approve()));
        const usedNow = expectOk(await store.consume(used.id, useBy(used)));
        expect(await store.voidRequest(used.id, "x")).toEqual({ ok: false, reason: "wrong_state", request: usedNow });
        expect(await store.voidRequest(pending.id, "twice")).toMatchObject({ ok: false, reason: "wrong_state", request: { void_reason: "bundle gone" } });
        expect(await store.voidRequest("apr-nope", "x")).toEqual({ ok: false, reason: "not_found" });
      });

      it("expires exactly the pending and approved requests due at `now`, once, and returns them", async () => {
        const due = await store.create(pendingRequest("apr-due", { expires_at: T(30) }));
        const dueApproved = await store.create(pendingRequest("apr-due-approved", { expires_at: T(30) }));
        expectOk(await store.decide(dueApproved.id, approve()));
        const later = await store.create(pendingRequest("apr-later", { expires_at: T(31) }));
        const deniedDue = await store.create(pendingRequest("apr-denied", { expires_at: T(30) }));
        expectOk(await store.decide(deniedDue.id, { state: "denied", by: BOB, reason: "no", at: T(5) }));
        const usedDue = await store.create(pendingRequest("apr-used", { expires_at: T(30) }));
        expectOk(await store.decide(usedDue.id, approve()));
        expectOk(await store.consume(usedDue.id, useBy(usedDue)));

        const expired = await store.expireDue(T(30));
        expect(expired.map((r) => [r.id, r.state]).sort()).toEqual([
          ["apr-due", "expired"],
          ["apr-due-approved", "expired"],
        ]);
        expect(expired.find((r) => r.id === due.id)).toEqual({ ...due, state: "expired" });
        expect(expired.find((r) => r.id === dueApproved.id)).toEqual(await store.get(dueApproved.id));
        expect((await store.get(later.id))?.state).toBe("pending");
        expect((await store.get(deniedDue.id))?.state).toBe("denied");
        expect((await store.get(usedDue.id))?.state).toBe("used");
        expect(await store.expireDue(T(30))).toEqual([]);
        expect(await store.decide(due.id, approve(T(6)))).toMatchObject({ ok: false, reason: "wrong_state", request: { state: "expired" } });
        expect(await store.consume(dueApproved.id, useBy(dueApproved, "c", T(6)))).toMatchObject({ ok: false, reason: "wrong_state", request: { state: "expired" } });
      });

      it("finds the live requests bound to a bundle other than the active one", async () => {
        const oldPending = await store.create(pendingRequest("apr-old-p"));
        const oldApproved = await store.create(pendingRequest("apr-old-a"));
        expectOk(await store.decide(oldApproved.id, approve()));
        const oldDenied = await store.create(pendingRequest("apr-old-d"));
        expectOk(await store.decide(oldDenied.id, { state: "denied", by: BOB, reason: "no", at: T(5) }));
        await store.create(pendingRequest("apr-new", { bundle: BUNDLE_B }));
        expect((await store.boundToOtherBundles(BUNDLE_B.hash)).map((r) => r.id).sort()).toEqual([oldApproved.id, oldPending.id].sort());
        expect((await store.boundToOtherBundles(BUNDLE_A.hash)).map((r) => r.id)).toEqual(["apr-new"]);
      });

      it("counts requests in every state, zeros included", async () => {
        expect(await store.countByState()).toEqual({ pending: 0, approved: 0, denied: 0, expired: 0, used: 0, void: 0 });
        await store.create(pendingRequest("apr-1"));
        const approved = await store.create(pendingRequest("apr-2"));
        expectOk(await store.decide(approved.id, approve()));
        const denied = await store.create(pendingRequest("apr-3"));
        expectOk(await store.decide(denied.id, { state: "denied", by: BOB, reason: "no", at: T(5) }));
        const used = await store.create(pendingRequest("apr-4"));
        expectOk(await store.decide(used.id, approve()));
        expectOk(await store.consume(used.id, useBy(used)));
        const voided = await store.create(pendingRequest("apr-5"));
        expectOk(await store.voidRequest(voided.id, "gone"));
        await store.create(pendingRequest("apr-6", { expires_at: T(1) }));
        await store.expireDue(T(1));
        expect(await store.countByState()).toEqual({ pending: 1, approved: 1, denied: 1, expired: 1, used: 1, void: 1 });
      });
    });

    describe("durability and integrity", () => {
      it("keeps requests and their transitions across closing and reopening", async () => {
        const request = await store.create(pendingRequest("apr-1"));
        const approved = expectOk(await store.decide(request.id, approve()));
        await store.create(pendingRequest("apr-2", { minute: 1 }));
        await store.close();
        const again = await open();
        expect(await again.get(request.id)).toEqual(approved);
        expect((await again.list()).map((r) => r.id)).toEqual(["apr-2", "apr-1"]);
        expectOk(await again.consume(request.id, useBy(request)));
      });

      it("reports a request edited into an invalid shape, naming it, and never moves it", async (context) => {
        if (!harness.storage.tamper) return context.skip();
        const request = await store.create(pendingRequest("apr-edited"));
        await store.create(pendingRequest("apr-fine", { minute: 1 }));
        const restore = await harness.storage.tamper(request.id);
        const reported = { code: "io_error", message: expect.stringContaining("apr-edited") };
        await expect(store.get(request.id)).rejects.toMatchObject(reported);
        await expect(store.list()).rejects.toMatchObject(reported);
        await expect(store.decide(request.id, approve())).rejects.toMatchObject(reported);
        await expect(store.voidRequest(request.id, "x")).rejects.toMatchObject(reported);
        await expect(store.expireDue(T(120))).rejects.toMatchObject(reported);
        await expect(store.boundToOtherBundles(BUNDLE_B.hash)).rejects.toMatchObject(reported);
        await restore();
        // Nothing above moved it (nor, with the expiry refused as a whole, its neighbour).
        expect(await store.get(request.id)).toEqual(request);
        expect((await store.get("apr-fine"))?.state).toBe("pending");
      });

      it("reports an approved request edited into an invalid shape and does not let it be used", async (context) => {
        if (!harness.storage.tamper) return context.skip();
        const request = await store.create(pendingRequest("apr-edited"));
        const approved = expectOk(await store.decide(request.id, approve()));
        const restore = await harness.storage.tamper(request.id);
        await expect(store.consume(request.id, useBy(request))).rejects.toMatchObject({ code: "io_error", message: expect.stringContaining("apr-edited") });
        await restore();
        expect(await store.get(request.id)).toEqual(approved);
      });
    });
  });
}
