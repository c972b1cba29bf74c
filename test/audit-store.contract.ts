/**
 * @module The AuditStore contract: one suite every implementation runs
 * (SQLite now, PostgreSQL later), so stores stay interchangeable.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { AuditStore } from "../src/audit/audit-store.js";
import { recordHash, verifyChain } from "../src/audit/hash-chain.js";
import { AuditRecordSchema, buildEventEntry, GENESIS_HASH, isCallRecord } from "../src/core/audit-record.js";
import { McpgovError } from "../src/core/errors.js";
import { auditEntryFor, intentEntryFor } from "../src/audit/audit-entry.js";
import { appendAtOnce, appendCalls, collect, decisionFor, entryFor, envelopeFor } from "./helpers/audit-fixtures.js";
import { storeHarness, type StoreStorage } from "./helpers/store-contract.js";

/** Empty storage for one test: `open` connects to it (call it twice for two connections). */
export type AuditStoreStorage = StoreStorage<AuditStore>;

export type AuditStoreFactory = () => Promise<AuditStoreStorage>;

export function auditStoreContract(name: string, factory: AuditStoreFactory): void {
  describe(`AuditStore contract: ${name}`, () => {
    const harness = storeHarness(factory);
    const { open } = harness;
    let store: AuditStore;
    beforeEach(() => {
      store = harness.store;
    });

    it("seals appended records into a chain from genesis", async () => {
      const [first, second] = await appendCalls(store, 2);
      expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH, call_id: "c-1" });
      expect(second).toMatchObject({ seq: 2, prev_hash: first!.hash, call_id: "c-2" });
      for (const record of [first!, second!]) {
        expect(record.hash).toBe(recordHash(record));
        expect(() => AuditRecordSchema.parse(record)).not.toThrow();
      }
      expect(await store.head()).toEqual({ seq: 2, hash: second!.hash });
    });

    it("has no head and an empty, valid chain before the first append", async () => {
      expect(await store.head()).toBeUndefined();
      expect(await collect(store.iterate())).toEqual([]);
      expect(await verifyChain(store.iterate())).toEqual({ ok: true, count: 0, head: undefined });
    });

    it("gets a record by call id exactly as append returned it", async () => {
      const [, second] = await appendCalls(store, 3);
      expect(await store.get("c-2")).toEqual(second);
      expect(await store.get("no-such-call")).toBeUndefined();
    });

    it("returns the latest record of a call that was recorded twice", async () => {
      await store.append(entryFor("c-1", { decision: "REQUIRE_APPROVAL" }));
      const later = await store.append({ ...entryFor("c-1", { decision: "REQUIRE_APPROVAL", outcome: "executed" }), extra: { approval_id: "ap-1" } });
      expect(await store.get("c-1")).toEqual(later);
      expect((await collect(store.query({ callId: "c-1" }))).map((r) => (isCallRecord(r) ? r.outcome : r.kind))).toEqual(["pending", "executed"]);
    });

    it("stores the envelope masked and keeps both digests", async () => {
      const entry = entryFor("c-1", { arguments: { title: "x", api_key: "abc123", auth: { user: "u", pass: "p" } } });
      const record = await store.append(entry);
      expect(record.envelope.call.arguments).toEqual({ title: "x", api_key: "[MASKED]", auth: "[MASKED]" });
      expect((await store.get("c-1"))?.envelope_digest).toBe(entry.envelope_digest);
      expect(record.envelope.call.arguments_digest).toBe(entry.envelope.call.arguments_digest);
    });

    it("iterates every record in append order, across many pages", async () => {
      const written = await appendAtOnce(store, 1_203);
      expect(written.map((r) => r.seq)).toEqual(Array.from({ length: 1_203 }, (_, i) => i + 1));
      let seq = 0;
      for await (const record of store.iterate()) {
        seq++;
        expect(record.seq).toBe(seq);
      }
      expect(seq).toBe(1_203);
      expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toEqual({
        ok: true,
        count: 1_203,
        head: { seq: 1_203, hash: written[1_202]!.hash },
      });
    });

    it("keeps serving reads and appends while an iteration is under way", async () => {
      await appendAtOnce(store, 1_100);
      let seen = 0;
      for await (const record of store.iterate()) {
        seen++;
        if (record.seq % 400 === 0) await store.append(entryFor(`late-${record.seq}`));
      }
      expect(seen).toBe(1_102);
      expect((await verifyChain(store.iterate())).ok).toBe(true);
    });

    it("queries by time range, server, tool, action, decision, outcome and rule", async () => {
      await appendCalls(store, 12, (i) => ({
        minute: i,
        server: i % 2 === 0 ? "github" : "slack",
        tool: i % 3 === 0 ? "delete_repo" : "create_issue",
        action: i % 3 === 0 ? "destructive" : "write",
        decision: i % 4 === 0 ? "DENY" : "ALLOW",
        rules: i % 4 === 0 ? ["deny-destructive"] : ["allow-writes", i === 5 ? "audit-slack" : "allow-team"],
      }));
      const ids = async (q: Parameters<AuditStore["query"]>[0]) => (await collect(store.query(q))).map((r) => r.call_id);
      expect(await ids({ since: "2026-04-01T09:03:00Z", until: "2026-04-01T09:06:00Z" })).toEqual(["c-3", "c-4", "c-5"]);
      // Offsets are normalised: 11:05+02:00 is 09:05Z.
      expect(await ids({ since: "2026-04-01T11:05:00+02:00", until: "2026-04-01T09:07:00Z" })).toEqual(["c-5", "c-6"]);
      expect(await ids({ server: "github", tool: "delete_repo" })).toEqual(["c-6", "c-12"]);
      expect(await ids({ decision: "DENY" })).toEqual(["c-4", "c-8", "c-12"]);
      expect(await ids({ rule: "audit-slack" })).toEqual(["c-5"]);
      expect(await ids({ rule: "allow-writes", action: "write", server: "github" })).toEqual(["c-2", "c-10"]);
      expect(await ids({ outcome: "blocked" })).toEqual(["c-4", "c-8", "c-12"]);
      expect(await ids({ decision: "ALLOW", limit: 2 })).toEqual(["c-1", "c-2"]);
      expect(await ids({ server: "nowhere" })).toEqual([]);
    });

    it("refuses an invalid time bound", async () => {
      await expect(collect(store.query({ since: "last tuesday" }))).rejects.toMatchObject({ code: "input_invalid" });
    });

    it("refuses an invalid entry and leaves the chain as it was", async () => {
      await appendCalls(store, 1);
      const bad = { ...entryFor("c-2"), decision: "MAYBE" } as unknown as Parameters<AuditStore["append"]>[0];
      const error = await store.append(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpgovError);
      expect(error).toMatchObject({ code: "input_invalid" });
      expect((error as Error).message).toContain("decision");
      const next = await store.append(entryFor("c-3"));
      expect(next.seq).toBe(2);
      expect((await verifyChain(store.iterate())).ok).toBe(true);
    });

    it("keeps the chain linear under many concurrent async appends", async () => {
      const records = await Promise.all(Array.from({ length: 250 }, (_, i) => store.append(entryFor(`p-${i}`))));
      expect(new Set(records.map((r) => r.seq)).size).toBe(250);
      expect(Math.max(...records.map((r) => r.seq))).toBe(250);
      const verdict = await verifyChain(store.iterate(), { head: (await store.head())! });
      expect(verdict).toMatchObject({ ok: true, count: 250 });
    });

    it("keeps the chain linear when two connections append alternately", async () => {
      const other = await open();
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) writes.push((i % 2 === 0 ? store : other).append(entryFor(`x-${i}`)));
      await Promise.all(writes);
      expect(await verifyChain(other.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 100 });
    });

    it("commits appends still waiting when the store is closed", async () => {
      const appends = [store.append(entryFor("c-1")), store.append(entryFor("c-2"))];
      await store.close();
      expect((await Promise.all(appends)).map((r) => r.seq)).toEqual([1, 2]);
      const again = await open();
      expect(await verifyChain(again.iterate(), { head: (await again.head())! })).toMatchObject({ ok: true, count: 2 });
      await expect(store.append(entryFor("c-3"))).rejects.toMatchObject({ code: "io_error" });
    });

    it("chains intents, calls and events, filters by kind and event, and lists calls with outcome unknown", async () => {
      const envelope = envelopeFor("c-1");
      const decision = decisionFor();
      const intent = await store.append(intentEntryFor({ envelope, decision, decisionLatencyUs: 3 }));
      const orphan = await store.append(intentEntryFor({ envelope: envelopeFor("c-2"), decision, decisionLatencyUs: 3 }));
      const call = await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 3, intentSeq: intent.seq, maskedEnvelope: intent.envelope }));
      const event = await store.append(buildEventEntry({ event: "approval.created", time: "2026-04-01T09:00:00Z", callId: "c-1", approvalId: "apr-1", details: { group: "default" } }));
      expect(await collect(store.iterate())).toEqual([intent, orphan, call, event]);
      expect(await store.get("c-1")).toEqual(call);
      expect((await collect(store.query({ kind: "intent" }))).map((r) => r.call_id)).toEqual(["c-1", "c-2"]);
      expect((await collect(store.query({ kind: "call" }))).map((r) => r.seq)).toEqual([call.seq]);
      expect((await collect(store.query({ approvalId: "apr-1" }))).map((r) => r.seq)).toEqual([event.seq]);
      expect((await collect(store.query({ event: "approval.created" }))).map((r) => r.seq)).toEqual([event.seq]);
      expect(await collect(store.outcomeUnknown())).toEqual([{ call_id: "c-2", seq: orphan.seq, time: orphan.time, server: orphan.server, tool: orphan.tool }]);
      expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 4 });
    });

    it("continues the chain after the store is closed and opened again", async () => {
      const [, second] = await appendCalls(store, 2);
      await store.close();
      const again = await open();
      expect(await again.head()).toEqual({ seq: 2, hash: second!.hash });
      const third = await again.append(entryFor("c-3"));
      expect(third).toMatchObject({ seq: 3, prev_hash: second!.hash });
      expect(await verifyChain(again.iterate())).toMatchObject({ ok: true, count: 3 });
    });
  });
}
