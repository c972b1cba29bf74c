import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { auditStoreContract } from "./audit-store.contract.js";
import { verifyChain } from "../src/audit/hash-chain.js";
import { appendCalls, collect, entryFor, tempDataDir } from "./helpers/audit-fixtures.js";
import { repoRoot } from "./helpers/cli.js";

auditStoreContract("SqliteAuditStore", async () => {
  const dir = await tempDataDir();
  return {
    open: () => SqliteAuditStore.open(join(dir, "data")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// From TypeScript sources the writer thread is the built one (dist/, made by `npm run build`).
auditStoreContract("SqliteAuditStore (writer thread)", async () => {
  expect(existsSync(join(repoRoot, "dist", "src", "audit", "sqlite-audit-writer.js")), "run `npm run build` first").toBe(true);
  const dir = await tempDataDir();
  return {
    open: () => SqliteAuditStore.open(join(dir, "data"), { writer: "thread" }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe("SqliteAuditStore", () => {
  it("creates the data folder with audit.sqlite in WAL mode and the query indexes", async () => {
    const dir = await tempDataDir();
    try {
      const data = join(dir, "nested", "data");
      const store = await SqliteAuditStore.open(data);
      await appendCalls(store, 1);
      await store.close();
      expect(existsSync(join(data, AUDIT_FILE))).toBe(true);
      const db = new Database(join(data, AUDIT_FILE), { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(
        expect.arrayContaining(["audit_records_call_id", "audit_records_time", "audit_records_server_tool", "audit_records_seq", "audit_rules_rule"]),
      );
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT record_id FROM audit_rules WHERE rule = ?").all("x") as { detail: string }[];
      expect(plan.map((p) => p.detail).join(" ")).toContain("audit_rules_rule");
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("syncs every commit by default (synchronous=FULL) and NORMAL on request", async () => {
    const dir = await tempDataDir();
    try {
      const full = await SqliteAuditStore.open(dir);
      expect((full as unknown as { db: Database.Database }).db.pragma("synchronous", { simple: true })).toBe(2);
      await full.close();
      const normal = await SqliteAuditStore.open(dir, { synchronous: "normal" });
      expect((normal as unknown as { db: Database.Database }).db.pragma("synchronous", { simple: true })).toBe(1);
      await normal.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails only the append the database refuses when concurrent appends share a commit", async () => {
    const dir = await tempDataDir();
    try {
      const store = await SqliteAuditStore.open(dir);
      const db = (store as unknown as { db: Database.Database }).db;
      db.exec("CREATE TRIGGER refuse BEFORE INSERT ON audit_records WHEN NEW.call_id = 'c-2' BEGIN SELECT RAISE(ABORT, 'refused'); END");
      const results = await Promise.allSettled([1, 2, 3].map((i) => store.append(entryFor(`c-${i}`))));
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "io_error", message: expect.stringContaining("refused") });
      expect((await collect(store.iterate())).map((r) => [r.seq, r.call_id])).toEqual([
        [1, "c-1"],
        [2, "c-3"],
      ]);
      expect((await verifyChain(store.iterate(), { head: (await store.head())! })).ok).toBe(true);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("does not create a store when asked only to read one", async () => {
    const dir = await tempDataDir();
    try {
      await expect(SqliteAuditStore.open(join(dir, "missing"), { create: false })).rejects.toMatchObject({
        code: "io_error",
        message: expect.stringContaining("no audit store in"),
      });
      expect(existsSync(join(dir, "missing"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
