/**
 * Evidence before execution, end to end: with the audit store unwritable
 * (locked by another connection, or its volume full) no call reaches the
 * upstream and the client is told why; a gateway killed mid-call leaves an
 * intent without an outcome, which `audit verify` and `audit why` report as
 * "outcome unknown".
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fillVolume } from "./helpers/volume.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_FILE } from "../src/audit/sqlite-audit-store.js";
import { runCli } from "./helpers/cli.js";
import { disposeGateway, KEYS, referenceWorkspace, rugEvents, rugServer, startTestGateway, textOf, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";
import { connect, serve, stopServe } from "./helpers/serve-process.js";

const callsWith = (ws: Workspace, marker: string) => rugEvents(ws).filter((e) => e.event === "call" && JSON.stringify(e.arguments ?? {}).includes(marker));

describe("an audit store locked by another connection", () => {
  let ws: Workspace;
  let gw: TestGateway;
  beforeAll(async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [rugServer(ws)] });
    gw = await startTestGateway(ws);
  }, 120_000);
  afterAll(() => disposeGateway(gw, ws));

  it("runs nothing while the lock is held, says why, and runs again once it is released", async () => {
    const client = await gw.connect("rug", KEYS.alice);
    expect((await client.callTool({ name: "echo", arguments: { text: "before" } })).isError).toBeFalsy();
    const other = new Database(join(ws.dataDir, AUDIT_FILE));
    try {
      other.exec("BEGIN EXCLUSIVE");
      const result = await client.callTool({ name: "echo", arguments: { text: "locked-marker" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/did not run this request.*(audit record could not be written|record could not be written)/);
      expect(textOf(result)).toContain("locked");
      expect(callsWith(ws, "locked-marker")).toEqual([]);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
    }
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "after-marker" } }))).toBe("after-marker");
    expect(callsWith(ws, "after-marker")).toHaveLength(1);
  }, 60_000);
});

describe("an audit store whose volume is full", () => {
  let ws: Workspace;
  let gw: TestGateway | undefined;
  let mounted = false;
  beforeAll(async () => {
    // Deliberately not a skip: without root this evidence is missing, and the run must say so.
    expect(process.getuid?.(), "this test mounts a small tmpfs as the gateway's data folder and must run as root").toBe(0);
    ws = await referenceWorkspace();
    mkdirSync(ws.dataDir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", ws.dataDir]);
    mounted = true;
    await writeGatewayConfig(ws, { servers: [rugServer(ws)] });
    gw = await startTestGateway(ws);
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    if (mounted) execFileSync("umount", [ws.dataDir]);
    await disposeGateway(undefined, ws);
  });

  it("dispatches no call whose evidence cannot be written, and says why", async () => {
    const client = await gw!.connect("rug", KEYS.alice);
    expect((await client.callTool({ name: "echo", arguments: { text: "room" } })).isError).toBeFalsy();
    const filler = fillVolume(ws.dataDir);
    let refused: { marker: string; text: string } | undefined;
    // Pages SQLite already holds may take a few more records; the next pages it needs do not exist.
    for (let i = 0; i < 200 && !refused; i++) {
      const marker = `full-marker-${i}`;
      const result = await client.callTool({ name: "echo", arguments: { text: marker, pad: "x".repeat(6_000) } });
      if (result.isError) refused = { marker, text: textOf(result) };
    }
    expect(refused, "a call on a full volume should have been refused").toBeDefined();
    expect(refused!.text).toContain("full");
    expect(refused!.text).not.toContain("xxxxxxxx");
    expect(callsWith(ws, refused!.marker)).toEqual([]);
    rmSync(filler);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "space-again" } }))).toBe("space-again");
  }, 120_000);
});

describe("a gateway killed mid-call", () => {
  let ws: Workspace;
  let child: Awaited<ReturnType<typeof serve>>["child"] | undefined;
  beforeAll(async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [rugServer(ws)] });
  }, 120_000);
  afterEach(async () => {
    if (child) await stopServe(child);
  });
  afterAll(() => disposeGateway(undefined, ws));

  it("leaves an intent without an outcome, and audit verify and why say so", async () => {
    const started = await serve(ws);
    child = started.child;
    const client = await connect(started.url, "rug");
    // A non-production write: constrained, dispatched after its intent is durable.
    const pending = client.callTool({ name: "slow", arguments: { seconds: 20 } }).catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while (!rugEvents(ws).some((e) => e.event === "call" && e.tool === "slow") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(rugEvents(ws).some((e) => e.event === "call" && e.tool === "slow"), "the server should have received the call").toBe(true);
    await stopServe(child, "SIGKILL");
    child = undefined;
    await pending;
    await client.close().catch(() => undefined);

    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir, "--format", "json"]);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; outcome_unknown: Array<{ call_id: string; tool: string }> };
    expect(report.ok).toBe(true);
    expect(report.outcome_unknown.map((o) => o.tool)).toEqual(["slow"]);
    const why = await runCli(["audit", "why", report.outcome_unknown[0]!.call_id, "--data-dir", ws.dataDir]);
    expect(why.stdout).toContain("outcome unknown");

    // A gateway started again on the same data reports it through its admin API too.
    const again = await serve(ws);
    child = again.child;
    const response = await fetch(`${again.url}/admin/audit/verify`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; outcome_unknown: Array<{ call_id: string }> };
    expect(body.ok).toBe(true);
    expect(body.outcome_unknown.map((o) => o.call_id)).toEqual([report.outcome_unknown[0]!.call_id]);
  }, 90_000);
});
