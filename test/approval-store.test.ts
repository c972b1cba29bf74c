/**
 * @module SqliteApprovalStore runs the ApprovalStore contract (a hand edit
 * comes in through a raw connection), and two real processes race for the
 * same approvals: in one process better-sqlite3 runs one statement at a
 * time, so only separate processes contend for SQLite's write lock.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteApprovalStore } from "../src/approvals/sqlite-approval-store.js";
import { STATE_FILE } from "../src/state/state-db.js";
import { approvalStoreContract, pendingRequest } from "./approval-store.contract.js";
import { repoRoot } from "./helpers/cli.js";

const tempData = () => mkdtemp(join(tmpdir(), "mcpgov-approvals-"));

approvalStoreContract("SqliteApprovalStore", async () => {
  const dir = await tempData();
  const data = join(dir, "data");
  return {
    open: async () => SqliteApprovalStore.open(data),
    // A hand edit: the arguments column of the immutable body turned into a string.
    tamper: async (id) => {
      const db = new Database(join(data, STATE_FILE));
      try {
        const { body } = db.prepare<[string], { body: string }>("SELECT body FROM approvals WHERE id = ?").get(id)!;
        db.prepare("UPDATE approvals SET body = ? WHERE id = ?").run(JSON.stringify({ ...JSON.parse(body), arguments: "rm -rf /" }), id);
        return async () => {
          const again = new Database(join(data, STATE_FILE));
          try {
            again.prepare("UPDATE approvals SET body = ? WHERE id = ?").run(body, id);
          } finally {
            again.close();
          }
        };
      } finally {
        db.close();
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe("SqliteApprovalStore", () => {
  it("does not create a state database when asked only to read one", async () => {
    const dir = await tempData();
    try {
      expect(() => SqliteApprovalStore.open(join(dir, "missing"), { create: false })).toThrow(/no state store/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps its requests in the gateway state database", async () => {
    const dir = await tempData();
    try {
      const store = SqliteApprovalStore.open(join(dir, "data"));
      await store.create(pendingRequest("apr-1"));
      await store.close();
      const db = new Database(join(dir, "data", STATE_FILE), { readonly: true });
      expect(db.prepare("SELECT COUNT(*) AS n FROM approvals").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A process that consumes each id once for its own call id and prints which it won. */
const RACER = `
import { SqliteApprovalStore } from ${JSON.stringify(join(repoRoot, "dist", "src", "approvals", "sqlite-approval-store.js"))};
const [data, name, subjectId, bundleHash, ...ids] = process.argv.slice(1);
const store = SqliteApprovalStore.open(data, { create: false });
// Both processes open first, then start together when told: otherwise the first would finish before the second started.
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const won = [];
for (const id of ids) {
  const result = await store.consume(id, { callId: name + ":" + id, subjectId, bundleHash, at: "2026-04-01T09:10:00.000Z" });
  if (result.ok) won.push(id);
  else if (result.reason !== "wrong_state") throw new Error(id + ": " + result.reason);
}
await store.close();
process.stdout.write(JSON.stringify(won));
process.stdin.destroy();
`;

/** Starts a racer; `ready` resolves once it has opened the store, `go()` starts it, `won` is what it consumed. */
function racer(name: string, data: string, args: string[]) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, data, name, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const won = new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      markReady();
      if (code === 0) resolve(JSON.parse(out.slice("ready\n".length)) as string[]);
      else reject(new Error(`${name} exited ${code}: ${err}`));
    });
  });
  return { ready, won, go: () => child.stdin.write("go\n"), stop: () => child.exitCode === null && child.kill("SIGKILL") };
}

describe("SqliteApprovalStore across processes", () => {
  it("lets exactly one of two processes consume each approval", { timeout: 60_000 }, async () => {
    expect(existsSync(join(repoRoot, "dist", "src", "approvals", "sqlite-approval-store.js")), "needs `npm run build`").toBe(true);
    const dir = await tempData();
    const data = join(dir, "data");
    let racers: Array<ReturnType<typeof racer>> = [];
    try {
      const store = SqliteApprovalStore.open(data);
      const ids = Array.from({ length: 50 }, (_, i) => `apr-proc-${i}`);
      for (const id of ids) {
        await store.create(pendingRequest(id));
        await store.decide(id, { state: "approved", by: { id: "bob", via: "local-store" }, reason: "ok", at: "2026-04-01T09:05:00.000Z" });
      }
      const { subject, bundle } = pendingRequest("x");
      racers = [racer("a", data, [subject.id, bundle.hash, ...ids]), racer("b", data, [subject.id, bundle.hash, ...ids])];
      await Promise.all(racers.map((r) => r.ready));
      for (const r of racers) r.go();
      const [a, b] = (await Promise.all(racers.map((r) => r.won))) as [string[], string[]];
      expect([...a, ...b].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const winner = a.includes(id) ? "a" : "b";
        expect(await store.get(id)).toMatchObject({ state: "used", used_by_call: `${winner}:${id}` });
      }
      await store.close();
    } finally {
      // A racer still waiting for its start signal would wait forever.
      for (const r of racers) r.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
