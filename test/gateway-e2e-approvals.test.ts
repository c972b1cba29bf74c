/**
 * End to end: approvals on real server-filesystem writes (a prod server in
 * the reference policy), with the retry path (calls do not wait here):
 * each binding rule, exactly-once execution under concurrent retries, the
 * approvers' rules, expiry, and the audit chain linked by the approval id.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { STATE_FILE } from "../src/state/state-db.js";
import { approverApi } from "./helpers/approvals.js";
import { runCli } from "./helpers/cli.js";
import { approvalStepOf, isCallRecord, type AuditRecord } from "../src/core/audit-record.js";
import {
  buildReferenceBundle,
  decisionOf,
  disposeGateway,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;
let alice: Client;
let bobClient: Client;
let clockOffsetMs = 0;
let bob: ReturnType<typeof approverApi>;
let carol: ReturnType<typeof approverApi>;
let admin: ReturnType<typeof approverApi>;
let aliceApi: ReturnType<typeof approverApi>;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    approvals: { wait_sec: 0, groups: { default: { roles: ["approver"] }, security: { roles: ["security-approver"] } } },
  });
  gw = await startTestGateway(ws, { clock: () => new Date(Date.now() + clockOffsetMs) });
  alice = await gw.connect("filesystem");
  bobClient = await gw.connect("filesystem", KEYS.bob);
  bob = approverApi(gw, KEYS.bob);
  carol = approverApi(gw, KEYS.carol);
  admin = approverApi(gw, KEYS.admin);
  aliceApi = approverApi(gw, KEYS.alice);
});

afterAll(() => disposeGateway(gw, ws));

const write = (client: Client, name: string, content: string) =>
  client.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, name), content } });

/** A first call: held, with the approval id in _meta. */
async function held(client: Client, name: string, content: string): Promise<string> {
  const result = await write(client, name, content);
  const meta = decisionOf(result);
  expect(meta.decision).toBe("REQUIRE_APPROVAL");
  expect(meta.approval_id).toMatch(/^apr-/);
  expect(existsSync(join(ws.sandbox, name))).toBe(false);
  return meta.approval_id!;
}

describe("the retry path", () => {
  it("holds the call, an approver approves, the identical retry runs once and its audit chain links every step", async () => {
    const id = await held(alice, "release.txt", "v1.2.3\n");
    const [listed] = (await bob.list("state=pending")).filter((r) => r.id === id);
    expect(listed).toMatchObject({ server: "filesystem", tool: "write_file", group: "default", subject: { id: "alice" }, rules: ["require-approval-production-write"] });
    expect(listed!.bundle.hash).toBe(gw.gateway.ctx.bundles.current().bundle.hash);
    expect(listed!.arguments).toBeUndefined(); // the list is metadata; arguments only on the detail view
    const detail = await bob.get(id);
    expect((detail.body["approval"] as { arguments: unknown }).arguments).toEqual({ path: join(ws.sandbox, "release.txt"), content: "v1.2.3\n" });

    expect((await bob.approve(id, "release window open")).status).toBe(200);
    const result = await write(alice, "release.txt", "v1.2.3\n");
    expect(result.isError).toBeFalsy();
    expect(readFileSync(join(ws.sandbox, "release.txt"), "utf8")).toBe("v1.2.3\n");

    const after = (await bob.get(id)).body["approval"] as { state: string; used_by_call: string; decided_by: { id: string } };
    expect(after).toMatchObject({ state: "used", decided_by: { id: "bob" } });
    const executed = await gw.records({ approvalId: id, outcome: "executed" });
    const calls = executed.filter(isCallRecord);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.call_id).toBe(after.used_by_call);

    // `audit why` on the first (held) call shows the whole chain.
    const firstCall = (await gw.records({ approvalId: id }))[0]!.call_id!;
    const why = await runCli(["audit", "why", firstCall, "--data-dir", ws.dataDir, "--format", "json"]);
    expect(why.code).toBe(0);
    const chain = why.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { record: AuditRecord }).record);
    // Intents (written before dispatch) are left out: the approval's story is its events and the calls' outcomes.
    const story = chain.filter((r) => r.kind !== "intent").map((r) => approvalStepOf(r) ?? (isCallRecord(r) ? `call:${r.outcome}` : "other"));
    expect(story).toEqual(["created", "routed", "call:pending", "approved", "executed", "call:executed"]);
    const pretty = await runCli(["audit", "why", firstCall, "--data-dir", ws.dataDir]);
    expect(pretty.stdout).toContain(`event        approval.approved`);
    expect(pretty.stdout).toContain(`approval     ${id} approved`);
    expect(pretty.stdout).toContain("approver     bob (admin-api): release window open");
    // …and on the call that ran on the approval, the same chain.
    const fromRun = await runCli(["audit", "why", after.used_by_call, "--data-dir", ws.dataDir, "--format", "json"]);
    expect(fromRun.stdout.trim().split("\n")).toHaveLength(chain.length);
  });

  it("refuses a replay of a used approval: the identical call makes a new request and does not run", async () => {
    const id = await held(alice, "once.txt", "first\n");
    await bob.approve(id, "ok");
    expect((await write(alice, "once.txt", "first\n")).isError).toBeFalsy();
    rmSync(join(ws.sandbox, "once.txt"));
    const replay = await write(alice, "once.txt", "first\n");
    expect(replay.isError).toBe(true);
    expect(decisionOf(replay).approval_id).not.toBe(id);
    expect(existsSync(join(ws.sandbox, "once.txt"))).toBe(false);
  });

  it("never uses an approval for different arguments, not even one byte", async () => {
    const id = await held(alice, "config.yaml", "replicas: 3\n");
    await bob.approve(id, "ok");
    const tampered = await write(alice, "config.yaml", "replicas: 30\n");
    expect(tampered.isError).toBe(true);
    const other = decisionOf(tampered).approval_id!;
    expect(other).not.toBe(id);
    expect(existsSync(join(ws.sandbox, "config.yaml"))).toBe(false);
    // The approved call itself is still good for exactly what was approved.
    expect(((await bob.get(id)).body["approval"] as { state: string }).state).toBe("approved");
    expect((await write(alice, "config.yaml", "replicas: 3\n")).isError).toBeFalsy();
    expect(readFileSync(join(ws.sandbox, "config.yaml"), "utf8")).toBe("replicas: 3\n");
  });

  it("never lets another subject use an approval", async () => {
    const id = await held(alice, "shared.txt", "alice's\n");
    await admin.approve(id, "ok for alice");
    const byBob = await write(bobClient, "shared.txt", "alice's\n");
    expect(byBob.isError).toBe(true);
    expect(decisionOf(byBob).approval_id).not.toBe(id);
    expect(existsSync(join(ws.sandbox, "shared.txt"))).toBe(false);
    expect(((await bob.get(id)).body["approval"] as { state: string }).state).toBe("approved");
  });

  it("runs concurrent identical retries of one approval exactly once", async () => {
    const id = await held(alice, "counter.txt", "42\n");
    await bob.approve(id, "ok");
    const results = await Promise.all(Array.from({ length: 6 }, () => write(alice, "counter.txt", "42\n")));
    const ran = results.filter((r) => !r.isError);
    expect(ran).toHaveLength(1);
    for (const refused of results.filter((r) => r.isError)) {
      const text = textOf(refused);
      // A loser either saw the approval already used, or came after and was held anew.
      expect(text.includes(`approval ${id} was already used`) || text.includes("needs human approval")).toBe(true);
    }
    const executions = (await gw.records({ approvalId: id, outcome: "executed" })).filter(isCallRecord);
    expect(executions).toHaveLength(1);
  });
});

describe("approvers", () => {
  it("can never decide their own request, need their group's role, and must give a reason to deny", async () => {
    const id = await held(bobClient, "bob.txt", "mine\n");
    const own = await bob.approve(id, "trust me");
    expect(own.status).toBe(403);
    expect(own.body["error"]).toContain("requester cannot decide their own request");
    const wrongGroup = await carol.approve(id, "not my queue");
    expect(wrongGroup.status).toBe(403);
    expect(wrongGroup.body["error"]).toContain('group "default"');
    const noRole = await aliceApi.approve(id, "I am a developer");
    expect(noRole.status).toBe(403);

    const noReason = await admin.deny(id, "   ");
    expect(noReason.status).toBe(400);
    expect(noReason.body["error"]).toContain("a denial needs a reason");
    const denied = await admin.deny(id, "no writes to prod on Fridays");
    expect(denied.status).toBe(200);
    expect(denied.body["approval"]).toMatchObject({ state: "denied", decided_by: { id: "ops", via: "admin-api" }, decision_reason: "no writes to prod on Fridays" });
    expect((await admin.approve(id, "changed my mind")).status).toBe(409);

    // The identical retry hears the denial instead of opening a new request.
    const retry = await write(bobClient, "bob.txt", "mine\n");
    expect(textOf(retry)).toContain(`approval ${id} was denied by ops: no writes to prod on Fridays`);
    expect(existsSync(join(ws.sandbox, "bob.txt"))).toBe(false);
    const [deniedRecord] = await gw.records({ approvalId: id, event: "approval.denied" });
    expect(deniedRecord).toMatchObject({ kind: "event", details: { actor: "ops (admin-api)" } });
  });

  it("show approvers only their own groups' queues (the arguments may be sensitive)", async () => {
    const id = await held(alice, "payroll.csv", "name,salary\n");
    expect((await bob.list("state=pending")).map((r) => r.id)).toContain(id);
    expect((await admin.list("state=pending")).map((r) => r.id)).toContain(id);
    expect((await carol.list("state=pending")).map((r) => r.id)).not.toContain(id);
    const peek = await carol.get(id);
    expect(peek.status).toBe(404);
    expect(JSON.stringify(peek.body)).not.toContain("salary");
  });

  it("answers 404 for an unknown request and 400 for a bad filter", async () => {
    expect((await bob.approve("apr-nope", "x")).status).toBe(404);
    expect((await bob.call("?state=sideways")).status).toBe(400);
  });
});

describe("void and expiry", () => {
  it("voids an approval when another bundle becomes active; the retry is decided again under the new bundle", async () => {
    const id = await held(alice, "swap.txt", "before swap\n");
    await bob.approve(id, "ok");
    const oldHash = gw.gateway.ctx.bundles.current().bundle.hash;
    const next = join(ws.dir, "next.tar.gz");
    await buildReferenceBundle(next, { maxRuntimeSec: 17 });
    await gw.gateway.ctx.bundles.swapFromFile(next);
    expect(gw.gateway.ctx.bundles.current().bundle.hash).not.toBe(oldHash);

    const retry = await write(alice, "swap.txt", "before swap\n");
    expect(retry.isError).toBe(true);
    const meta = decisionOf(retry);
    expect(meta.bundle.hash).not.toBe(oldHash);
    expect(meta.approval_id).not.toBe(id);
    expect(existsSync(join(ws.sandbox, "swap.txt"))).toBe(false);
    const voided = (await bob.get(id)).body["approval"] as { state: string; void_reason: string };
    expect(voided.state).toBe("void");
    expect(voided.void_reason).toContain(oldHash);
    const [voidRecord] = (await gw.records({ approvalId: id })).filter((r) => approvalStepOf(r) === "voided");
    expect(voidRecord).toBeDefined();
  });

  it("expires a request nobody decided in time, refuses to approve it, and counts it", async () => {
    const id = await held(alice, "late.txt", "too late\n");
    const expiredBefore = await gw.metric("mcpgov_approvals_expired_total");
    clockOffsetMs += 2 * 3600 * 1000; // past the default expiry of one hour
    try {
      const late = await bob.approve(id, "sorry, was at lunch");
      expect(late.status).toBe(409);
      expect(((await bob.get(id)).body["approval"] as { state: string }).state).toBe("expired");
      // Requests left pending by the tests above expire with it.
      expect(await gw.metric("mcpgov_approvals_expired_total")).toBeGreaterThanOrEqual(expiredBefore + 1);
      expect((await gw.records({ approvalId: id })).some((r) => approvalStepOf(r) === "expired")).toBe(true);
    } finally {
      clockOffsetMs -= 2 * 3600 * 1000;
    }
  });
});

describe("evidence", () => {
  it("exports approval metrics, keeps unapproved high-risk writes at 0, and the chain verifies", async () => {
    expect(await gw.metric("mcpgov_unapproved_high_risk_writes_total")).toBe(0);
    expect(await gw.metric("mcpgov_approvals_executed_total")).toBeGreaterThanOrEqual(4);
    const metrics = await (await gw.fetch("/metrics")).text();
    expect(metrics).toMatch(/mcpgov_approvals_pending \d+/);
    // A histogram, so a fleet's quantiles aggregate: the approved calls' waits are counted in its buckets.
    expect(metrics).toContain("# TYPE mcpgov_approval_queue_wait_seconds histogram");
    expect(await gw.metric("mcpgov_approval_queue_wait_seconds_count", { decision: "approved" })).toBeGreaterThanOrEqual(4);
    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.code).toBe(0);
  });
});

describe("a failing approval store", () => {
  it("fails closed: the call does not run, the client is told, and the record says why", async () => {
    const db = new Database(join(ws.dataDir, STATE_FILE));
    db.exec("CREATE TRIGGER refuse_approvals BEFORE INSERT ON approvals BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    try {
      const result = await write(alice, "nowhere.txt", "x\n");
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("the approval request could not be stored");
      expect(existsSync(join(ws.sandbox, "nowhere.txt"))).toBe(false);
      const [record] = await gw.calls({ callId: decisionOf(result).call_id });
      expect(record).toMatchObject({ decision: "REQUIRE_APPROVAL", outcome: "error" });
      expect(record!.error).toContain("disk full");
    } finally {
      db.exec("DROP TRIGGER refuse_approvals");
      db.close();
    }
  });
});
