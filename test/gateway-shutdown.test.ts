/**
 * Graceful shutdown of a real `mcpgov serve` process: SIGTERM during a call
 * lets it finish within shutdown.grace_sec (readyz 503 and new sessions
 * refused meanwhile) and the process exits 0; a call still running after
 * the grace is cancelled upstream and recorded as cancelled by shutdown.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { isCallRecord, type CallRecord } from "../src/core/audit-record.js";
import { repoRoot } from "./helpers/cli.js";
import { everythingServer, filesystemServer, INITIALIZE, KEY_ENV, mcpHeaders, referenceWorkspace, rugEvents, rugServer, textOf, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";
import { connect, exited, serve, stopServe } from "./helpers/serve-process.js";
import { rm } from "node:fs/promises";

let child: ChildProcess | undefined;
let ws: Workspace | undefined;

beforeAll(() => {
  expect(existsSync(join(repoRoot, "dist", "cli", "main.js")), "run `npm run build` first").toBe(true);
});

afterEach(async () => {
  if (child) await stopServe(child);
  child = undefined;
  if (ws) await rm(ws.dir, { recursive: true, force: true });
  ws = undefined;
});

/** `serve` on the rug server with the given grace, and its 45 s `slow` tool running upstream. */
async function slowCallRunning(graceSec: number) {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [rugServer(ws)], extra: { shutdown: { grace_sec: graceSec } } });
  const started = await serve(ws, { logLevel: "info" });
  child = started.child;
  const client = await connect(started.url, "rug");
  const call = client.callTool({ name: "slow", arguments: { seconds: 45 } });
  call.catch(() => undefined);
  const current = ws;
  await expect.poll(() => rugEvents(current).some((e) => e.event === "call" && e.tool === "slow"), { timeout: 15_000 }).toBe(true);
  return { started, call, current };
}

async function exitCode(process: ChildProcess): Promise<number | null> {
  await exited(process);
  return process.exitCode;
}

async function callRecords(dataDir: string): Promise<CallRecord[]> {
  const store = await SqliteAuditStore.open(dataDir);
  try {
    const out: CallRecord[] = [];
    for await (const record of store.query({ kind: "call" })) if (isCallRecord(record)) out.push(record);
    return out;
  } finally {
    await store.close();
  }
}

describe("mcpgov serve on SIGTERM", () => {
  it("lets a 5 s call finish, answers readyz 503 and refuses new sessions meanwhile, and exits 0", async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [everythingServer()], extra: { shutdown: { grace_sec: 30 } } });
    const started = await serve(ws, { logLevel: "info" });
    child = started.child;
    const client = await connect(started.url, "everything");
    let progressed!: () => void;
    const inFlight = new Promise<void>((resolve) => (progressed = resolve));
    const call = client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 5, steps: 5 } }, undefined, {
      onprogress: () => progressed(),
    });
    await inFlight; // the upstream is running the call
    child.kill("SIGTERM");

    await expect.poll(async () => (await fetch(`${started.url}/readyz`)).status, { timeout: 3_000 }).toBe(503);
    const ready = (await (await fetch(`${started.url}/readyz`)).json()) as { status: string; draining?: boolean };
    expect(ready).toMatchObject({ status: "not ready", draining: true });
    const refused = await fetch(`${started.url}/mcp/everything`, { method: "POST", headers: mcpHeaders(), body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const body = (await refused.json()) as { error: { code: number; message: string } };
    expect(body.error.message).toMatch(/the gateway is draining/);

    // The open session still works while the gateway drains.
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "during drain" } }))).toContain("during drain");

    const result = await call;
    expect(textOf(result)).toMatch(/Long running operation completed/);
    expect(await exitCode(child)).toBe(0);
    expect(started.stderr.join("\n")).toMatch(/shutdown complete: 2 call\(s\) finished, 0 cancelled; exiting 0/);
    const [record] = (await callRecords(ws.dataDir)).filter((r) => r.tool === "trigger-long-running-operation");
    expect(record?.outcome).toBe("executed");
  });

  it("cancels a call still running after the grace upstream, records it as cancelled by shutdown, and exits 0", async () => {
    const { started, call, current } = await slowCallRunning(1);
    started.child.kill("SIGTERM");

    const result = await call;
    expect(textOf(result)).toMatch(/the gateway shut down and the call was still running after shutdown\.grace_sec 1/);
    expect(await exitCode(started.child)).toBe(0);
    expect(started.stderr.join("\n")).toMatch(/shutdown complete: 0 call\(s\) finished, 1 cancelled; exiting 0/);
    // The server's side: it heard notifications/cancelled and never finished.
    expect(rugEvents(current).map((e) => e.event)).toContain("slow-cancelled");
    expect(rugEvents(current).map((e) => e.event)).not.toContain("slow-finished");
    const records = (await callRecords(current.dataDir)).filter((r) => r.tool === "slow");
    expect(records.map((r) => [r.outcome, r.error])).toEqual([["failed", "cancelled by gateway shutdown (still running after shutdown.grace_sec 1)"]]);
  });
});

describe("a call waiting for approval at shutdown", () => {
  it("is answered as still pending past the grace (the request stays queued for another gateway), and the process exits 0", async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [filesystemServer(ws)], approvals: { wait_sec: 60, progress_interval_sec: 1 }, extra: { shutdown: { grace_sec: 1 } } });
    const started = await serve(ws, { logLevel: "info" });
    child = started.child;
    const client = await connect(started.url, "filesystem");
    let waiting!: () => void;
    const held = new Promise<void>((resolve) => (waiting = resolve));
    const call = client.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "held.txt"), content: "needs approval" } }, undefined, {
      onprogress: () => waiting(),
    });
    await held; // the gateway is waiting for an approver
    child.kill("SIGTERM");

    const result = await call;
    expect(textOf(result)).toMatch(/is waiting in the "default" queue .* This gateway shut down while the call waited; retry it on another\.$/);
    expect(await exitCode(child)).toBe(0);
    expect(started.stderr.join("\n")).toMatch(/shutdown complete: 0 call\(s\) finished, 1 cancelled; exiting 0/);
    const records = (await callRecords(ws.dataDir)).filter((r) => r.tool === "write_file");
    expect(records.map((r) => [r.decision, r.outcome])).toEqual([["REQUIRE_APPROVAL", "pending"]]);
  });
});

describe("a second signal", () => {
  it("exits at once with code 3 and says so", async () => {
    const { started } = await slowCallRunning(60);
    started.child.kill("SIGTERM");
    await expect.poll(async () => (await fetch(`${started.url}/readyz`)).status, { timeout: 3_000 }).toBe(503);
    started.child.kill("SIGTERM");
    expect(await exitCode(started.child)).toBe(3);
    expect(started.stderr.join("\n")).toMatch(/second signal during shutdown: exiting at once/);
    expect(started.stderr.join("\n")).not.toMatch(/shutdown complete/);
  });
});

describe("mcpgov stdio", () => {
  it.each(["stdin close", "SIGTERM"] as const)("on %s lets the call running finish, writes its answer, and exits 0", async (how) => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [rugServer(ws)], extra: { shutdown: { grace_sec: 30 } } });
    const stdio = spawn(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), "stdio", "--config", ws.configPath, "--server", "rug"], {
      cwd: ws.dir,
      env: { ...process.env, ...KEY_ENV },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    child = stdio;
    const messages: Array<{ id?: number; result?: unknown }> = [];
    createInterface({ input: stdio.stdout! }).on("line", (line) => messages.push(JSON.parse(line) as { id?: number }));
    const stderr: string[] = [];
    createInterface({ input: stdio.stderr! }).on("line", (line) => stderr.push(line));
    const send = (message: object) => stdio.stdin!.write(`${JSON.stringify(message)}\n`);
    send(INITIALIZE);
    await expect.poll(() => messages.some((m) => m.id === 1), { timeout: 30_000 }).toBe(true);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow", arguments: { seconds: 3 } } });
    const current = ws;
    await expect.poll(() => rugEvents(current).some((e) => e.event === "call" && e.tool === "slow"), { timeout: 15_000 }).toBe(true);
    if (how === "SIGTERM") stdio.kill("SIGTERM");
    else stdio.stdin!.end();

    expect(await exitCode(stdio)).toBe(0);
    const answer = messages.find((m) => m.id === 2);
    expect(textOf(answer?.result)).toBe("slow finished");
    expect(rugEvents(current).map((e) => e.event)).toContain("slow-finished");
    expect(stderr.join("\n")).toMatch(/shutdown complete: 1 call\(s\) finished, 0 cancelled; exiting 0/);
  });
});
