import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { entryFor, tempDataDir } from "../../test/helpers/audit-fixtures.js";
import { decisionIdOf, gatewayLabels, toDecisionLogEvent } from "./decision-log.js";
import { verifyChain } from "./hash-chain.js";
import { SqliteAuditStore } from "./sqlite-audit-store.js";

describe("decision-log events", () => {
  it("give each call record its own decision_id, even when records share a call_id, and the same id every time", async () => {
    const dir = await tempDataDir();
    const store = await SqliteAuditStore.open(dir);
    try {
      // The store takes any call_id: one call_id may carry several call records (call_id was the old decision_id).
      const first = await store.append(entryFor("c-same"));
      const second = await store.append(entryFor("c-same", { outcome: "blocked", decision: "DENY" }));
      expect(first.call_id).toBe(second.call_id);
      const a = toDecisionLogEvent(first, { id: "gw", version: "1" });
      const b = toDecisionLogEvent(second, { id: "gw", version: "1" });
      expect(a.decision_id).not.toBe(b.decision_id);
      expect(a.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(decisionIdOf(first)).toBe(a.decision_id);
      expect(a.custom).toMatchObject({ call_id: "c-same", audit_seq: first.seq, audit_hash: first.hash });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("carry the record's trace id as OPA's trace_id, and none for a record written without tracing; both records verify", async () => {
    const dir = await tempDataDir();
    const store = await SqliteAuditStore.open(dir);
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const plain = entryFor("c-plain");
      const traced = await store.append({ ...plain, call_id: "c-traced", extra: { ...plain.extra, trace_id: traceId } });
      const untraced = await store.append(entryFor("c-untraced"));
      expect(toDecisionLogEvent(traced, { id: "gw", version: "1" }).trace_id).toBe(traceId);
      expect(toDecisionLogEvent(untraced, { id: "gw", version: "1" })).not.toHaveProperty("trace_id");
      expect(await verifyChain(store.iterate(), { head: await store.head() })).toMatchObject({ ok: true, count: 2 });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuse a trace id that is not 32 lower-case hex digits, naming the field", async () => {
    const dir = await tempDataDir();
    const store = await SqliteAuditStore.open(dir);
    try {
      const plain = entryFor("c-bad");
      await expect(store.append({ ...plain, extra: { ...plain.extra, trace_id: "not-a-trace" } })).rejects.toThrow(/extra\.trace_id/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("label the gateway with its id (else the host name) and mcpgov's version; configured labels cannot override them", () => {
    expect(gatewayLabels({ id: "gw-1", labels: { region: "eu", id: "spoof" } })).toEqual({ region: "eu", id: "gw-1", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(gatewayLabels()["id"]).toMatch(/./);
  });
});
