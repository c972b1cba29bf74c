/**
 * @module The approval service on real parts: a SqliteApprovalStore and a
 * SqliteAuditStore in a temp folder, a clock the test moves, and the
 * gateway's metrics. Each step must leave an audit record linked by the
 * approval id, and the chain must verify at the end.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/hash-chain.js";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { createApprovalMetrics } from "../src/approvals/approval-metrics.js";
import { ApprovalService, callDigestOf } from "../src/approvals/approval-service.js";
import { SqliteApprovalStore } from "../src/approvals/sqlite-approval-store.js";
import type { ApprovalRequest } from "../src/core/approval.js";
import type { BundleRef, Decision } from "../src/core/decision.js";
import { ApprovalsConfigSchema } from "../src/core/gateway-config.js";
import { silentLogger } from "../src/logger.js";
import { envelopeFor } from "./helpers/audit-fixtures.js";
import { approvalStepOf } from "../src/core/audit-record.js";

const BUNDLE_A: BundleRef = { hash: `sha256:${"a".repeat(64)}`, revision: "a" };
const BUNDLE_B: BundleRef = { hash: `sha256:${"b".repeat(64)}`, revision: "b" };
const START = Date.parse("2026-04-01T09:00:00.000Z");
const BOB = { id: "bob", roles: ["approver"] };

let dir: string;
let store: SqliteApprovalStore;
let audit: SqliteAuditStore;
let service: ApprovalService;
let now: number;
let active: BundleRef;
let announced: ApprovalRequest[];
let registry: Registry;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpgov-approval-service-"));
  store = SqliteApprovalStore.open(join(dir, "data"));
  audit = await SqliteAuditStore.open(join(dir, "data"));
  now = START;
  active = BUNDLE_A;
  announced = [];
  registry = new Registry();
  service = new ApprovalService({
    store,
    audit,
    config: ApprovalsConfigSchema.parse({ default_expiry_sec: 600, groups: { default: { roles: ["approver"] }, security: { roles: ["security-approver"] } } }),
    activeBundle: () => active,
    clock: () => new Date(now),
    logger: silentLogger,
    metrics: createApprovalMetrics(registry, () => store),
    announce: (request) => announced.push(request),
    pollMs: 10,
  });
});

afterEach(async () => {
  await service.close();
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

function decisionFor(constraints: Decision["constraints"] = {}): Decision {
  return { decision: "REQUIRE_APPROVAL", rules: ["approve-prod-writes"], reason: "approve-prod-writes: prod writes need an approver", constraints, matched: [], bundle: active };
}

/** A held call: `title` changes the arguments, so the call digest. */
async function held(title = "t", constraints: Decision["constraints"] = {}, callId = `call-${title}`) {
  const envelope = envelopeFor(callId, { arguments: { title } });
  return service.open({ envelope, decision: decisionFor(constraints), digest: callDigestOf(envelope) });
}

async function events(approvalId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const record of audit.query({ approvalId })) out.push(String(approvalStepOf(record)));
  return out;
}

const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);

describe("ApprovalService.open", () => {
  it("creates a pending request in the default group with the default expiry, announces and audits it", async () => {
    const { request, created } = await held();
    expect(created).toBe(true);
    expect(request).toMatchObject({ state: "pending", group: "default", bundle: BUNDLE_A, created_at: new Date(START).toISOString(), expires_at: new Date(START + 600_000).toISOString() });
    expect(announced.map((r) => r.id)).toEqual([request.id]);
    expect(await events(request.id)).toEqual(["created", "routed"]);
    expect(await counter("mcpgov_approvals_created_total")).toBe(1);
  });

  it("takes the group and the expiry from the decision's constraints", async () => {
    const { request } = await held("t", { approver_group: "security", approval_timeout_sec: 30 });
    expect(request).toMatchObject({ group: "security", expires_at: new Date(START + 30_000).toISOString() });
  });

  it("routes to a group nobody is configured for, and says so in the audit record", async () => {
    const { request } = await held("t", { approver_group: "ghosts" });
    const routed = [];
    for await (const record of audit.query({ approvalId: request.id })) routed.push(record);
    expect(routed[1]).toMatchObject({
      kind: "event",
      event: "approval.routed",
      approval_id: request.id,
      call_id: request.call_id,
      details: { group: "ghosts", reason: expect.stringContaining('group "ghosts" has no configured approvers') },
    });
    // An event carries no made-up envelope or decision.
    expect(routed[1]).not.toHaveProperty("envelope");
    expect(routed[1]).not.toHaveProperty("decision");
  });

  it("fails the step, logs it and counts it when the audit store refuses the event", async () => {
    const failures = new Counter({ name: "mcpgov_audit_event_write_failures_total", help: "test", labelNames: ["event"] as const, registers: [registry] });
    const errors: Record<string, unknown>[] = [];
    const failing = new ApprovalService({
      store,
      audit,
      config: ApprovalsConfigSchema.parse({}),
      activeBundle: () => active,
      clock: () => new Date(now),
      logger: { ...silentLogger, error: (fields) => void errors.push(fields) },
      auditFailures: failures,
    });
    await audit.close();
    const envelope = envelopeFor("c-refused");
    await expect(failing.open({ envelope, decision: decisionFor(), digest: callDigestOf(envelope) })).rejects.toThrow(/append after close/);
    expect(await counter("mcpgov_audit_event_write_failures_total")).toBe(1);
    expect((await failures.get()).values[0]?.labels).toEqual({ event: "approval.created" });
    expect(errors).toEqual([expect.objectContaining({ event: "approval.created", call_id: "c-refused" })]);
    await failing.close();
    audit = await SqliteAuditStore.open(join(dir, "data"));
  });

  it("gives an identical retry the live request instead of a new one, but a call with other arguments its own", async () => {
    const first = await held("same", {}, "call-1");
    const retry = await held("same", {}, "call-2");
    expect(retry).toEqual({ request: first.request, created: false });
    expect((await held("other")).created).toBe(true);
  });

  it("lets a denial stand for the identical call until it would have expired", async () => {
    const { request } = await held();
    expect((await service.decide(request.id, BOB, "admin-api", "denied", "no writes in a freeze")).ok).toBe(true);
    expect(await held()).toMatchObject({ created: false, request: { id: request.id, state: "denied" } });
    now = START + 600_000;
    expect(await held()).toMatchObject({ created: true, request: { state: "pending" } });
  });

  it("voids a live request bound to a bundle no longer active, and opens a new one under the active bundle", async () => {
    const { request } = await held();
    active = BUNDLE_B;
    const again = await held();
    expect(again).toMatchObject({ created: true, request: { bundle: BUNDLE_B } });
    expect(await store.get(request.id)).toMatchObject({ state: "void", void_reason: expect.stringContaining(BUNDLE_B.hash) });
    expect(await events(request.id)).toEqual(["created", "routed", "voided"]);
  });
});

describe("ApprovalService.decide", () => {
  it("approves once, with who and why in the store and the audit chain", async () => {
    const { request } = await held();
    const approved = await service.decide(request.id, BOB, "console", "approved", "  change CHG-1  ");
    expect(approved).toMatchObject({ ok: true, request: { state: "approved", decided_by: { id: "bob", via: "console" }, decision_reason: "change CHG-1" } });
    const again = await service.decide(request.id, { id: "root", roles: ["mcpgov-admin"] }, "admin-api", "denied", "changed my mind");
    expect(again).toMatchObject({ ok: false, status: 409, message: `approval ${request.id} is approved, not pending` });
    const records = [];
    for await (const record of audit.query({ approvalId: request.id })) records.push(record);
    expect(records.map(approvalStepOf)).toEqual(["created", "routed", "approved"]);
    expect(records[2]).toMatchObject({ details: { actor: "bob (console)", reason: "change CHG-1" } });
    expect(await counter("mcpgov_approvals_decided_total")).toBe(1);
  });

  it("refuses a denial without a reason, and a reason over 2000 characters", async () => {
    const { request } = await held();
    expect(await service.decide(request.id, BOB, "admin-api", "denied", "  ")).toEqual({ ok: false, status: 400, message: "a denial needs a reason" });
    expect(await service.decide(request.id, BOB, "admin-api", "approved", "x".repeat(2001))).toMatchObject({ ok: false, status: 400, message: expect.stringContaining("2000") });
    expect((await store.get(request.id))?.state).toBe("pending");
  });

  it("answers 404 for an unknown request and 403 for the requester or someone outside the group", async () => {
    const { request } = await held();
    expect(await service.decide("apr-nope", BOB, "admin-api", "approved", "")).toMatchObject({ ok: false, status: 404 });
    expect(await service.decide(request.id, { id: request.subject.id, roles: ["mcpgov-admin"] }, "admin-api", "approved", "")).toMatchObject({ ok: false, status: 403 });
    expect(await service.decide(request.id, { id: "carol", roles: ["security-approver"] }, "admin-api", "approved", "")).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('group "default"'),
    });
    expect((await store.get(request.id))?.state).toBe("pending");
  });

  it("finds a request past its expiry expired, not decidable, and audits the expiry", async () => {
    const { request } = await held();
    now = START + 600_000;
    expect(await service.decide(request.id, BOB, "admin-api", "approved", "too late")).toMatchObject({ ok: false, status: 409, message: `approval ${request.id} is expired, not pending` });
    expect(await events(request.id)).toEqual(["created", "routed", "expired"]);
  });
});

describe("ApprovalService: from approval to execution", () => {
  it("consumes an approval for exactly one call and explains why a second cannot use it", async () => {
    const { request } = await held();
    const approved = await service.decide(request.id, BOB, "admin-api", "approved", "ok");
    if (!approved.ok) throw new Error(approved.message);
    const [first, second] = await Promise.all([service.consume(approved.request, "call-run-1"), service.consume(approved.request, "call-run-2")]);
    expect([first.ok, second.ok].sort()).toEqual([false, true]);
    const used = (await store.get(request.id))!;
    expect(used.state).toBe("used");
    expect(service.explain(used)).toBe(`approval ${request.id} was already used by call ${used.used_by_call}`);
    expect(await counter("mcpgov_approvals_executed_total")).toBe(1);
  });

  it("will not run an approval once the bundle changed, and says so", async () => {
    const { request } = await held();
    const approved = await service.decide(request.id, BOB, "admin-api", "approved", "ok");
    if (!approved.ok) throw new Error(approved.message);
    active = BUNDLE_B;
    expect(await service.consume(approved.request, "call-run")).toMatchObject({ ok: false, reason: "wrong_state" });
    expect(service.explain(approved.request)).toBe(`approval ${request.id} was required by bundle ${BUNDLE_A.hash}, but ${BUNDLE_B.hash} is active now`);
  });

  it("wakes a waiting call on a decision made in this process", async () => {
    const { request } = await held();
    const waiting = service.waitForDecision(request.id, { timeoutMs: 60_000 });
    await service.decide(request.id, BOB, "admin-api", "approved", "go");
    expect(await waiting).toMatchObject({ id: request.id, state: "approved" });
  });

  it("sees a decision another connection wrote to the store", async () => {
    const { request } = await held();
    const waiting = service.waitForDecision(request.id, { timeoutMs: 60_000 });
    const other = SqliteApprovalStore.open(join(dir, "data"));
    try {
      await other.decide(request.id, { state: "denied", by: { id: "ops", via: "local-store" }, reason: "from the CLI", at: new Date(now).toISOString() });
    } finally {
      await other.close();
    }
    expect(await waiting).toMatchObject({ state: "denied", decision_reason: "from the CLI" });
  });

  it("returns the request as it is when the wait is aborted, still pending", async () => {
    const { request } = await held();
    const abort = new AbortController();
    const waiting = service.waitForDecision(request.id, { timeoutMs: 60_000, signal: abort.signal });
    abort.abort();
    expect(await waiting).toMatchObject({ state: "pending" });
  });
});

describe("ApprovalService.sweep", () => {
  it("expires what is due, voids what another bundle required, audits each, and leaves a chain that verifies", async () => {
    const due = (await held("due", { approval_timeout_sec: 60 })).request;
    const stale = (await held("stale")).request;
    const approvedStale = (await held("approved-stale")).request;
    await service.decide(approvedStale.id, BOB, "admin-api", "approved", "ok");
    now = START + 60_000;
    active = BUNDLE_B;
    await service.sweep();
    expect((await store.get(due.id))?.state).toBe("expired");
    expect((await store.get(stale.id))?.state).toBe("void");
    expect((await store.get(approvedStale.id))?.state).toBe("void");
    expect(await events(due.id)).toEqual(["created", "routed", "expired"]);
    expect(await events(approvedStale.id)).toEqual(["created", "routed", "approved", "voided"]);
    expect(await counter("mcpgov_approvals_expired_total")).toBe(1);
    expect(await counter("mcpgov_approvals_voided_total")).toBe(2);
    await service.sweep();
    expect(await counter("mcpgov_approvals_voided_total")).toBe(2);
    expect(await verifyChain(audit.iterate(), { head: (await audit.head())! })).toMatchObject({ ok: true, count: 10 });
  });
});
