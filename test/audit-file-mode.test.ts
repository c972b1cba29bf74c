/**
 * audit.sqlite and its -wal and -shm files are readable by their owner only,
 * with the writer on the calling thread and on its own thread, and files left
 * looser by an older version are tightened when the store opens them.
 */
import { chmodSync, existsSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { appendCalls, tempDataDir } from "./helpers/audit-fixtures.js";
import { repoRoot } from "./helpers/cli.js";

const modeOf = (path: string): number => statSync(path).mode & 0o777;

/** The database and both sidecars, which exist only while a connection is open. */
function storeFiles(data: string): string[] {
  const file = join(data, AUDIT_FILE);
  return [file, `${file}-wal`, `${file}-shm`];
}

describe("audit.sqlite file modes", () => {
  for (const writer of ["inline", "thread"] as const) {
    it(`creates the folder 0700 and the database, -wal and -shm 0600 (${writer} writer)`, async () => {
      if (writer === "thread") expect(existsSync(join(repoRoot, "dist", "src", "audit", "sqlite-audit-writer.js")), "run `npm run build` first").toBe(true);
      const dir = await tempDataDir();
      try {
        const data = join(dir, "data");
        const store = await SqliteAuditStore.open(data, { writer });
        try {
          await appendCalls(store, 3);
          expect(modeOf(data)).toBe(0o700);
          for (const path of storeFiles(data)) {
            expect(existsSync(path), path).toBe(true);
            expect(modeOf(path), path).toBe(0o600);
          }
        } finally {
          await store.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it("tightens a world-readable database and sidecars left by an older version when it opens them", async () => {
    const dir = await tempDataDir();
    try {
      const data = join(dir, "data");
      const first = await SqliteAuditStore.open(data, { writer: "inline" });
      try {
        await appendCalls(first, 2);
        // What an older mcpgov left: everything 0644, sidecars still there (the first store is still open).
        for (const path of storeFiles(data)) chmodSync(path, 0o644);
        const second = await SqliteAuditStore.open(data, { writer: "inline" });
        try {
          await appendCalls(second, 1);
          for (const path of storeFiles(data)) expect(modeOf(path), path).toBe(0o600);
        } finally {
          await second.close();
        }
      } finally {
        await first.close();
      }

      // A reader that owns the file tightens it too.
      chmodSync(join(data, AUDIT_FILE), 0o644);
      const reader = await SqliteAuditStore.open(data, { create: false, writer: "inline" });
      await reader.close();
      expect(modeOf(join(data, AUDIT_FILE))).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
