/**
 * @module PgAuditStore runs the AuditStore contract on a real PostgreSQL,
 * plus what only PostgreSQL has: gateways in other processes appending to
 * the one chain, and audit_unavailable when the head stays locked or the
 * server goes away.
 */
import { createServer, type Socket, connect } from "node:net";
import { describe, expect, it } from "vitest";
import { PgAuditStore } from "../src/audit/pg-audit-store.js";
import { verifyChain } from "../src/audit/hash-chain.js";
import { auditStoreContract } from "./audit-store.contract.js";
import { appendCalls, collect, entryFor } from "./helpers/audit-fixtures.js";
import { usePostgres } from "./helpers/embedded-pg.js";

const postgres = usePostgres();

auditStoreContract("PgAuditStore", async () => {
  const { drop, ...options } = await postgres().freshSchema();
  return { open: () => PgAuditStore.open(options), cleanup: drop };
});

describe("PgAuditStore", () => {
  it("keeps one linear chain with four stores appending concurrently", async () => {
    const { drop, ...options } = await postgres().freshSchema();
    const stores = await Promise.all([1, 2, 3, 4].map(() => PgAuditStore.open(options)));
    try {
      await Promise.all(stores.flatMap((store, s) => Array.from({ length: 50 }, (_, i) => store.append(entryFor(`s${s}-${i}`)))));
      const verdict = await verifyChain(stores[0]!.iterate(), { head: (await stores[3]!.head())! });
      expect(verdict).toMatchObject({ ok: true, count: 200 });
    } finally {
      for (const store of stores) await store.close();
      await drop();
    }
  });

  it("stores a NUL of a plain field as U+FFFD, noted and sealed as stored; a NUL inside the envelope stays", async () => {
    const { drop, ...options } = await postgres().freshSchema();
    const store = await PgAuditStore.open(options);
    try {
      const entry = entryFor("c-nul", { arguments: { text: "a\u0000b" } });
      const record = await store.append({ ...entry, reason: "upstream said \u0000" });
      expect(record).toMatchObject({ reason: "upstream said \uFFFD", extra: { nul_replaced: true } });
      expect(record.envelope.call.arguments).toEqual({ text: "a\u0000b" });
      expect(await store.get("c-nul")).toEqual(record);
      expect((await verifyChain(store.iterate(), { head: (await store.head())! })).ok).toBe(true);
    } finally {
      await store.close();
      await drop();
    }
  });

  it("refuses an append with audit_unavailable while another writer holds the chain head past the timeout", async () => {
    const { drop, ...options } = await postgres().freshSchema();
    const store = await PgAuditStore.open({ ...options, timeoutMs: 200 });
    const holder = await postgres().client(options.schema);
    try {
      await appendCalls(store, 1);
      await holder.query("BEGIN");
      await holder.query("SELECT * FROM audit_head FOR UPDATE");
      await expect(store.append(entryFor("c-locked"))).rejects.toMatchObject({ code: "audit_unavailable", message: expect.stringContaining("locked") });
      await holder.query("ROLLBACK");
      expect((await store.append(entryFor("c-after"))).seq).toBe(2);
      expect((await verifyChain(store.iterate())).ok).toBe(true);
    } finally {
      await holder.end();
      await store.close();
      await drop();
    }
  });

  it("refuses an append with audit_unavailable when the server is gone", async () => {
    const { drop, ...options } = await postgres().freshSchema();
    // A loopback proxy in front of the server, so the test can cut the connection without stopping PostgreSQL.
    const target = new URL(options.url);
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as { port: number }).port;
    const store = await PgAuditStore.open({ ...options, url: options.url.replace(`:${target.port}/`, `:${port}/`) });
    try {
      await appendCalls(store, 1);
      await new Promise<void>((resolve) => proxy.close(() => resolve()) && sockets.forEach((s) => s.destroy()));
      await expect(store.append(entryFor("c-gone"))).rejects.toMatchObject({ code: "audit_unavailable" });
      await expect(collect(store.iterate())).rejects.toMatchObject({ code: "audit_unavailable" });
    } finally {
      proxy.close();
      for (const s of sockets) s.destroy();
      await store.close();
      await drop();
    }
  });
});
