/** @module SqliteApprovalStore runs the ApprovalStore contract; a hand edit comes in through a second, raw connection. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteApprovalStore } from "../src/approvals/sqlite-approval-store.js";
import { STATE_FILE } from "../src/state/state-db.js";
import { approvalStoreContract, pendingRequest } from "./approval-store.contract.js";

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
