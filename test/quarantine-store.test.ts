import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_FILE } from "../src/state/state-db.js";
import { SqliteQuarantineStore } from "../src/quarantine/sqlite-quarantine-store.js";
import { quarantineStoreContract, WITHHELD_KEY, withheldItem } from "./quarantine-store.contract.js";

const tempData = () => mkdtemp(join(tmpdir(), "mcpgov-quarantine-"));

quarantineStoreContract("SqliteQuarantineStore", async () => {
  const dir = await tempData();
  return {
    open: () => SqliteQuarantineStore.open(join(dir, "data")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe("SqliteQuarantineStore", () => {
  it("keeps withheld outputs in a state database only its owner can read", async () => {
    const dir = await tempData();
    try {
      const store = await SqliteQuarantineStore.open(join(dir, "data"));
      await store.hold(withheldItem("c-1"));
      expect(statSync(join(dir, "data", STATE_FILE)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, "data")).mode & 0o777).toBe(0o700);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("leaves no copy of a discarded output in the database file or its WAL", async () => {
    const dir = await tempData();
    try {
      const data = join(dir, "data");
      const store = await SqliteQuarantineStore.open(data);
      const kept = await store.hold(withheldItem("c-1"));
      const files = () => [STATE_FILE, `${STATE_FILE}-wal`].map((f) => { try { return readFileSync(join(data, f)).toString("latin1"); } catch { return ""; } }).join("");
      expect(files()).toContain(WITHHELD_KEY);
      await store.discard(kept.id, { reviewer: "ops", reason: "real key", time: "2026-04-01T10:00:00.000Z" });
      expect(files()).not.toContain(WITHHELD_KEY);
      await store.close();
      expect(files()).not.toContain(WITHHELD_KEY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("does not create a state database when asked only to read one", async () => {
    const dir = await tempData();
    try {
      await expect(SqliteQuarantineStore.open(join(dir, "missing"), { create: false })).rejects.toMatchObject({ code: "io_error", message: expect.stringContaining("no state store") });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
