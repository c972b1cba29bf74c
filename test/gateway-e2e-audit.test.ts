/**
 * End to end: the audit trail a real run leaves. `mcpgov audit verify`
 * passes after a run and names the record when one row is edited; a
 * gateway killed with SIGKILL mid-traffic loses no record of a call it
 * answered, and the chain still verifies after a restart on the same data.
 *
 * The killed-gateway test runs `node bin/mcpgov.js`, so it needs a build
 * (`npm test` builds first).
 */
import { existsSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, exited, serve, stopServe } from "./helpers/serve-process.js";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { isCallRecord, type AuditRecord, type CallRecord } from "../src/core/audit-record.js";
import { repoRoot, runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/bundles.js";
import {
  buildReferenceBundle,
  createWorkspace,
  decisionOf,
  filesystemServer,
  INITIALIZE,
  mcpHeaders,
  memoryServer,
  startTestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let shared: string;
let bundle: string;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  shared = await tempDir("mcpgov-e2e-bundle-");
  bundle = await buildReferenceBundle(join(shared, "reference.tar.gz"));
});

afterAll(async () => {
  for (const ws of workspaces) await rm(ws.dir, { recursive: true, force: true });
  if (shared) await rm(shared, { recursive: true, force: true });
});

async function workspace(): Promise<Workspace> {
  const ws = await createWorkspace();
  workspaces.push(ws);
  await writeGatewayConfig(ws, { servers: [filesystemServer(ws), memoryServer(ws)], bundle });
  return ws;
}

async function allRecords(dataDir: string): Promise<AuditRecord[]> {
  const store = await SqliteAuditStore.open(dataDir, { create: false });
  try {
    const records: AuditRecord[] = [];
    for await (const record of store.iterate()) records.push(record);
    return records;
  } finally {
    await store.close();
  }
}

describe("mcpgov audit verify after a real run", () => {
  it("passes, then exits 2 naming the one record whose row was edited", async () => {
    const ws = await workspace();
    writeFileSync(join(ws.sandbox, "a.txt"), "alpha");
    const gw = await startTestGateway(ws);
    let held: string;
    try {
      const filesystem = await gw.connect("filesystem");
      const memory = await gw.connect("memory");
      expect(textOf(await filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, "a.txt") } }))).toBe("alpha");
      held = decisionOf(await filesystem.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "b.txt"), content: "beta" } })).call_id;
      await memory.callTool({ name: "create_entities", arguments: { entities: [{ name: "audit-e2e", entityType: "test", observations: [] }] } });
      expect((await gw.fetch("/mcp/shadow", { method: "POST", headers: mcpHeaders(), body: JSON.stringify(INITIALIZE) })).status).toBe(404);
    } finally {
      await gw.close();
    }

    const ok = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // four calls, an intent before each of the two that ran, and the held one's approval request: created and routed.
    expect(ok.stdout).toMatch(/^ok: 8 records/);

    // The held production write, rewritten to look as if policy had allowed it.
    const target = (await allRecords(ws.dataDir)).find((r): r is CallRecord => r.call_id === held && isCallRecord(r))!;
    expect(target.decision).toBe("REQUIRE_APPROVAL");
    const db = new Database(join(ws.dataDir, AUDIT_FILE));
    try {
      expect(db.prepare("UPDATE audit_records SET decision = 'ALLOW', outcome = 'executed' WHERE seq = ?").run(target.seq).changes).toBe(1);
    } finally {
      db.close();
    }

    const broken = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`seq ${target.seq} (call ${held}) modified`);
  });
});

describe("a gateway killed with SIGKILL", () => {
  it("has a record of every call it answered, and the chain verifies after a restart", { timeout: 180_000 }, async () => {
    expect(existsSync(join(repoRoot, "dist", "cli", "main.js")), "needs `npm run build`").toBe(true);
    const ws = await workspace();
    for (let i = 0; i < 200; i++) writeFileSync(join(ws.sandbox, `file-${i}.txt`), `content ${i}`);

    const first = await serve(ws);
    const held = new Set<string>();
    const readPaths = new Set<string>();
    const created = new Set<string>();
    try {
      const filesystem = await connect(first.url, "filesystem");
      const memory = await connect(first.url, "memory");
      let answered = 0;
      let killed = false;
      const killAfter = 30;
      /** Calls one after another until the gateway dies; `answer` sees (and checks) only calls that were answered. */
      const worker = async (call: (i: number) => Promise<unknown>, answer: (i: number, result: unknown) => void) => {
        for (let i = 0; i < 200 && !killed; i++) {
          let result: unknown;
          try {
            result = await call(i);
          } catch {
            return; // the gateway is gone: this call was never answered
          }
          answer(i, result);
          if (++answered === killAfter) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        }
      };
      await Promise.all([
        worker(
          (i) => filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, `file-${i}.txt`) } }),
          (i, result) => {
            expect(textOf(result)).toBe(`content ${i}`);
            readPaths.add(join(ws.sandbox, `file-${i}.txt`));
          },
        ),
        worker(
          (i) => filesystem.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, `out-${i}.txt`), content: "x" } }),
          (_i, result) => held.add(decisionOf(result).call_id),
        ),
        worker(
          (i) => memory.callTool({ name: "create_entities", arguments: { entities: [{ name: `kill-${i}`, entityType: "test", observations: [] }] } }),
          (i, result) => {
            expect((result as { isError?: boolean }).isError).toBeFalsy();
            created.add(`kill-${i}`);
          },
        ),
      ]);
      expect(killed).toBe(true);
      await exited(first.child);
      expect(first.child.signalCode).toBe("SIGKILL");
    } finally {
      await stopServe(first.child);
    }
    expect(held.size + readPaths.size + created.size).toBeGreaterThanOrEqual(30);
    expect(held.size).toBeGreaterThan(0);
    expect(readPaths.size).toBeGreaterThan(0);
    expect(created.size).toBeGreaterThan(0);

    // Restart on the same data folder: it serves, and appends to the same chain.
    const second = await serve(ws);
    try {
      const filesystem = await connect(second.url, "filesystem");
      held.add(decisionOf(await filesystem.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "after.txt"), content: "x" } })).call_id);
      await filesystem.close();
    } finally {
      await stopServe(second.child, "SIGTERM");
    }

    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.stdout).toMatch(/^ok: \d+ records/);
    expect(verify.code).toBe(0);

    const records = (await allRecords(ws.dataDir)).filter(isCallRecord);
    const byCall = new Map(records.map((r) => [r.call_id, r]));
    for (const callId of held) expect(byCall.get(callId), `record of held call ${callId}`).toMatchObject({ decision: "REQUIRE_APPROVAL", outcome: "pending" });
    const executedReads = new Set(records.filter((r) => r.tool === "read_text_file" && r.outcome === "executed").map((r) => r.envelope.call.arguments.path));
    for (const path of readPaths) expect(executedReads.has(path), `record of the read of ${path}`).toBe(true);
    const executedCreates = new Set(
      records
        .filter((r) => r.tool === "create_entities" && r.outcome === "executed")
        .map((r) => (r.envelope.call.arguments.entities as Array<{ name: string }>)[0]!.name),
    );
    for (const name of created) expect(executedCreates.has(name), `record of create_entities ${name}`).toBe(true);
    expect(records.at(-1)!.call_id).toBe([...held].at(-1));

    // A call id the client was given before the kill explains itself after it.
    const [firstHeld] = held;
    const why = await runCli(["audit", "why", firstHeld!, "--data-dir", ws.dataDir]);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain(firstHeld!);
    expect(why.stdout).toMatch(/decision\s+REQUIRE_APPROVAL/);
  });
});
