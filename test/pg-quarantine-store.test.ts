/** @module PgQuarantineStore runs the QuarantineStore contract on a real PostgreSQL. */
import { describe, expect, it } from "vitest";
import { PgQuarantineStore } from "../src/quarantine/pg-quarantine-store.js";
import { usePostgres } from "./helpers/embedded-pg.js";
import { quarantineStoreContract, withheldItem } from "./quarantine-store.contract.js";

const postgres = usePostgres();

quarantineStoreContract("PgQuarantineStore", async () => {
  const { drop, ...options } = await postgres().freshSchema();
  return { open: () => PgQuarantineStore.open(options), cleanup: drop };
});

describe("PgQuarantineStore", () => {
  it("keeps no content in the row once discarded", async () => {
    const { drop, ...options } = await postgres().freshSchema();
    const store = await PgQuarantineStore.open(options);
    const client = await postgres().client(options.schema);
    try {
      const item = await store.hold(withheldItem("c-1"));
      await store.discard(item.id, { reviewer: "ops", reason: "real key", time: "2026-04-01T10:00:00.000Z" });
      expect((await client.query("SELECT result_json FROM quarantine WHERE id = $1", [item.id])).rows).toEqual([{ result_json: null }]);
    } finally {
      await client.end();
      await store.close();
      await drop();
    }
  });
});
