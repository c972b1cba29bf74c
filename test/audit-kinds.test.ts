/**
 * Three record kinds in one chain (call, intent, event): sealing, storage,
 * queries, the outcome-unknown query, the v1 → v2 migration (old chains
 * verify unchanged), capped arguments and ill-formed Unicode.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendEvent } from "../src/audit/audit-event.js";
import { auditEntryFor, intentEntryFor } from "../src/audit/audit-entry.js";
import { recordHash, verifyChain } from "../src/audit/hash-chain.js";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { jsonDigest } from "../src/bundle/hash.js";
import { MAX_AUDIT_ARGUMENTS_BYTES, TRUNCATED_KEY } from "../src/core/audit-arguments.js";
import { canonicalJson } from "../src/core/canonical.js";
import { AuditRecordSchema, buildEventEntry, type AuditRecord, type CallRecord, type IntentRecord } from "../src/core/audit-record.js";
import { EnvelopeSchema } from "../src/core/envelope.js";
import { McpgovError } from "../src/core/errors.js";
import type { Logger } from "../src/logger.js";
import { BUNDLE, collect, decisionFor, entryFor, envelopeFor, tempDataDir } from "./helpers/audit-fixtures.js";
import { writeV1Store } from "./helpers/audit-v1.js";
import { runCli } from "./helpers/cli.js";

let dir: string;
let data: string;
let store: SqliteAuditStore;

beforeEach(async () => {
  dir = await tempDataDir();
  data = join(dir, "data");
  store = await SqliteAuditStore.open(data);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Intent, then outcome, for one dispatched call. */
async function dispatched(callId: string): Promise<{ intent: IntentRecord; call: CallRecord }> {
  const envelope = envelopeFor(callId);
  const decision = decisionFor();
  const intent = await store.append(intentEntryFor({ envelope, decision, decisionLatencyUs: 20 }));
  const call = await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 20, upstreamLatencyMs: 5, intentSeq: intent.seq }));
  return { intent, call };
}

describe("record kinds", () => {
  it("chains intents, calls and events; each rebuilds from its row exactly as sealed", async () => {
    const { intent, call } = await dispatched("c-1");
    const event = await store.append(
      buildEventEntry({
        event: "approval.created",
        time: "2026-04-01T09:00:00Z",
        subject: { id: "agent-7", tenant: "acme" },
        server: "github",
        tool: "create_issue",
        bundle: BUNDLE,
        callId: "c-1",
        approvalId: "apr-1",
        details: { group: "default", reason: "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", attempts: 2, urgent: false, skipped: undefined },
      }),
    );
    expect(intent).toMatchObject({ kind: "intent", seq: 1, call_id: "c-1", decision: "ALLOW" });
    expect(intent).not.toHaveProperty("outcome");
    expect(call).toMatchObject({ kind: "call", seq: 2, intent_seq: 1, outcome: "executed", prev_hash: intent.hash });
    expect(event).toMatchObject({ kind: "event", seq: 3, event: "approval.created", approval_id: "apr-1", details: { group: "default", attempts: 2, urgent: false } });
    expect(event.details["reason"]).toBe("token [MASKED]");
    expect(event).not.toHaveProperty("envelope");
    expect(event).not.toHaveProperty("decision");
    expect(event).not.toHaveProperty("rules");

    const stored = await collect(store.iterate());
    expect(stored).toEqual([intent, call, event]);
    for (const record of stored) {
      expect(recordHash(record)).toBe(record.hash);
      expect(() => AuditRecordSchema.parse(record)).not.toThrow();
    }
    expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 3 });
    expect(await store.get("c-1")).toEqual(call);
    expect((await collect(store.query({ kind: "intent" }))).map((r) => r.seq)).toEqual([1]);
    expect((await collect(store.query({ kind: "call" }))).map((r) => r.seq)).toEqual([2]);
    expect((await collect(store.query({ approvalId: "apr-1" }))).map((r) => r.seq)).toEqual([3]);
    expect((await collect(store.query({ event: "approval.created" }))).map((r) => r.seq)).toEqual([3]);
    expect((await collect(store.query({ callId: "c-1" }))).map((r) => r.kind)).toEqual(["intent", "call", "event"]);
  });

  it("refuses an event with a made-up envelope, a decision or a bad name, naming the field", async () => {
    const event = buildEventEntry({ event: "pin.violation", time: "2026-04-01T09:00:00Z", details: {} });
    for (const bad of [{ ...event, envelope: envelopeFor("c-1") }, { ...event, decision: "DENY" }, { ...event, event: "Pin Violation" }, { ...event, details: { args: { a: 1 } } }]) {
      const error = await store.append(bad as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpgovError);
      expect(error).toMatchObject({ code: "input_invalid" });
    }
    const noOutcome = { ...entryFor("c-1") } as Record<string, unknown>;
    delete noOutcome["outcome"];
    await expect(store.append(noOutcome as never)).rejects.toThrow(/outcome/);
    expect(await store.head()).toBeUndefined();
  });

  it("logs and counts a failed event write, and throws it on", async () => {
    await store.close();
    const counted: string[] = [];
    const logged: unknown[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (fields) => void logged.push(fields) };
    const failing = appendEvent({ audit: store, logger, failures: { inc: ({ event }) => void counted.push(event) } }, { event: "quarantine.released", time: "2026-04-01T09:00:00Z", quarantineId: "q-1", details: { reason: "secret" } });
    await expect(failing).rejects.toThrow(/append after close/);
    expect(counted).toEqual(["quarantine.released"]);
    expect(logged).toEqual([expect.objectContaining({ event: "quarantine.released", quarantine_id: "q-1" })]);
    expect(JSON.stringify(logged)).not.toContain("secret");
    store = await SqliteAuditStore.open(data);
  });
});

describe("outcome unknown", () => {
  it("lists intents without an outcome record, and drops them once the outcome is recorded", async () => {
    await dispatched("c-1");
    const orphan = await store.append(intentEntryFor({ envelope: envelopeFor("c-2"), decision: decisionFor(), decisionLatencyUs: 9 }));
    await store.append(entryFor("c-3", { decision: "DENY" }));
    expect(await collect(store.outcomeUnknown())).toEqual([{ call_id: "c-2", seq: orphan.seq, time: orphan.time, server: "github", tool: "create_issue" }]);
    // The chain is intact all the same.
    expect(await verifyChain(store.iterate())).toMatchObject({ ok: true, count: 4 });
    await store.append(auditEntryFor({ envelope: envelopeFor("c-2"), decision: decisionFor(), outcome: "failed", error: "late", decisionLatencyUs: 9, intentSeq: orphan.seq }));
    expect(await collect(store.outcomeUnknown())).toEqual([]);
  });

  it("is answered from the intents index", async () => {
    await dispatched("c-1");
    const db = new Database(join(data, AUDIT_FILE), { readonly: true });
    try {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT r.id FROM audit_records r WHERE r.kind = 'intent' AND r.id > 0 AND NOT EXISTS (
           SELECT 1 FROM audit_records o WHERE o.call_id = r.call_id AND (o.kind IS NULL OR o.kind = 'call'))`)
        .all() as { detail: string }[];
      const text = plan.map((p) => p.detail).join("\n");
      expect(text).toMatch(/audit_records_intents|audit_records_call_id/);
      expect(text).not.toMatch(/^SCAN o\b/m);
    } finally {
      db.close();
    }
  });

  it("is reported by audit verify (chain still ok) and audit why", async () => {
    await dispatched("c-1");
    const orphan = await store.append(intentEntryFor({ envelope: envelopeFor("c-2"), decision: decisionFor(), decisionLatencyUs: 9 }));
    await store.close();
    const verify = await runCli(["audit", "verify", "--data-dir", data]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^ok: 3 records/);
    expect(verify.stdout).toContain("1 call(s) with outcome unknown");
    expect(verify.stdout).toContain(`c-2  intent seq ${orphan.seq}`);
    const json = JSON.parse((await runCli(["audit", "verify", "--data-dir", data, "--format", "json"])).stdout) as { ok: boolean; outcome_unknown: { call_id: string }[] };
    expect(json).toMatchObject({ ok: true, outcome_unknown: [{ call_id: "c-2", seq: orphan.seq }] });
    const why = await runCli(["audit", "why", "c-2", "--data-dir", data]);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain("intent       c-2");
    expect(why.stdout).toContain(`outcome unknown: intent recorded at ${orphan.time} (seq ${orphan.seq}), no outcome`);
    const done = await runCli(["audit", "why", "c-1", "--data-dir", data]);
    expect(done.stdout).not.toContain("outcome unknown");
    expect(done.stdout).toContain("(intent at seq 1)");
    store = await SqliteAuditStore.open(data);
  });
});

describe("schema v1 → v2", () => {
  it("migrates a v1 store; the old chain verifies byte for byte and new kinds continue it", async () => {
    await store.close();
    const v1Dir = join(dir, "v1");
    await SqliteAuditStore.open(v1Dir).then((s) => s.close()); // just the folder
    await rm(join(v1Dir, AUDIT_FILE), { force: true });
    await rm(join(v1Dir, `${AUDIT_FILE}-wal`), { force: true });
    await rm(join(v1Dir, `${AUDIT_FILE}-shm`), { force: true });
    const old = writeV1Store(join(v1Dir, AUDIT_FILE), [entryFor("c-1"), entryFor("c-2", { decision: "DENY" }), { ...entryFor("c-3", { decision: "REQUIRE_APPROVAL" }), extra: { approval_id: "apr-9" } }]);
    expect(old.every((r) => !("kind" in r))).toBe(true);

    store = await SqliteAuditStore.open(v1Dir);
    const migrated = await collect(store.iterate());
    expect(migrated).toEqual(old);
    // Byte for byte in the form the hash is taken over, and each hash unchanged.
    expect(migrated.map((r) => canonicalJson(r))).toEqual(old.map((r) => canonicalJson(r)));
    expect(migrated.map((r) => recordHash(r))).toEqual(old.map((r) => r.hash));
    expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toEqual({ ok: true, count: 3, head: { seq: 3, hash: old[2]!.hash } });
    expect((await collect(store.query({ approvalId: "apr-9" }))).map((r) => r.call_id)).toEqual(["c-3"]);
    expect((await collect(store.query({ kind: "call" }))).length).toBe(3);

    await dispatched("c-4");
    await store.append(buildEventEntry({ event: "pin.violation", time: "2026-04-01T10:00:00Z", server: "github", tool: "x", details: { kind: "changed" } }));
    await store.close();
    store = await SqliteAuditStore.open(v1Dir);
    expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 6 });
    const db = new Database(join(v1Dir, AUDIT_FILE), { readonly: true });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it("still finds an edit to a NULL column of a stored record", async () => {
    await store.append(buildEventEntry({ event: "server.unknown", time: "2026-04-01T10:00:00Z", server: "shadow", details: {} }));
    const db = new Database(join(data, AUDIT_FILE));
    try {
      db.prepare("UPDATE audit_records SET outcome = 'executed' WHERE seq = 1").run();
    } finally {
      db.close();
    }
    expect(await verifyChain(store.iterate())).toMatchObject({ ok: false, break: { kind: "modified", seq: 1 } });
  });
});

describe("arguments kept per record", () => {
  it("keeps small arguments whole", async () => {
    const record = await store.append(entryFor("c-1", { arguments: { title: "hello" } }));
    expect(record.envelope.call.arguments).toEqual({ title: "hello" });
  });

  it("keeps a masked preview and the size of large arguments; the digest still binds the real ones", async () => {
    const args = { api_key: "abc123", body: "x".repeat(1024 * 1024), note: "Bearer abcdefghijklmnopqrstuvwxyz0123" };
    const entry = entryFor("c-1", { arguments: args });
    const record = await store.append(entry);
    const kept = record.envelope.call.arguments as Record<string, { bytes: number; preview: string }>;
    expect(Object.keys(kept)).toEqual([TRUNCATED_KEY]);
    expect(kept[TRUNCATED_KEY]!.bytes).toBeGreaterThan(1024 * 1024);
    expect(kept[TRUNCATED_KEY]!.preview.length).toBeLessThanOrEqual(2048);
    expect(kept[TRUNCATED_KEY]!.preview).toContain('"api_key":"[MASKED]"');
    expect(kept[TRUNCATED_KEY]!.preview).not.toContain("abc123");
    expect(record.envelope.call.arguments_digest).toBe(jsonDigest(args));
    expect(() => EnvelopeSchema.parse(record.envelope)).not.toThrow();
    expect(JSON.stringify(record).length).toBeLessThan(MAX_AUDIT_ARGUMENTS_BYTES);
    // The intent of the same call is capped the same way.
    const intent = await store.append(intentEntryFor({ envelope: envelopeFor("c-2", { arguments: args }), decision: decisionFor(), decisionLatencyUs: 1 }));
    expect(Object.keys(intent.envelope.call.arguments)).toEqual([TRUNCATED_KEY]);
    expect(await verifyChain(store.iterate())).toMatchObject({ ok: true, count: 2 });
  });

  it("never cuts a surrogate pair in half in the preview", async () => {
    const args = { body: `${"a".repeat(2038)}😀${"b".repeat(10_000)}` };
    const record = await store.append(entryFor("c-1", { arguments: args }));
    const preview = (record.envelope.call.arguments as Record<string, { preview: string }>)[TRUNCATED_KEY]!.preview;
    expect(preview.endsWith("a")).toBe(true);
    expect(record.extra).not.toHaveProperty("ill_formed_unicode");
  });
});

describe("ill-formed Unicode", () => {
  const LONE_HIGH = "\ud800";
  const LONE_LOW = "\udfff";

  it("stores what it hashed: lone surrogates in tool, subject, argument keys and values verify after reopening", async () => {
    const envelope = envelopeFor("c-1", { tool: `to${LONE_HIGH}ol`, arguments: { [`k${LONE_LOW}`]: `v${LONE_HIGH}`, nested: [`x${LONE_LOW}y`], fine: "😀" } });
    envelope.subject.id = `agent${LONE_LOW}`;
    const intent = await store.append(intentEntryFor({ envelope, decision: decisionFor(), decisionLatencyUs: 1 }));
    const call = await store.append(auditEntryFor({ envelope, decision: decisionFor(), outcome: "executed", decisionLatencyUs: 1, intentSeq: intent.seq }));
    const event = await store.append(buildEventEntry({ event: "pin.violation", time: "2026-04-01T09:00:00Z", tool: `t${LONE_HIGH}`, details: { [`why${LONE_LOW}`]: `because${LONE_HIGH}` } }));
    expect(call.tool).toBe("to\ufffdol");
    expect(call.subject.id).toBe("agent\ufffd");
    expect(call.envelope.call.arguments).toEqual({ "k\ufffd": "v\ufffd", nested: ["x\ufffdy"], fine: "😀" });
    expect(call.extra).toMatchObject({ ill_formed_unicode: true });
    expect(intent.extra).toMatchObject({ ill_formed_unicode: true });
    expect(event).toMatchObject({ tool: "t\ufffd", details: { "why\ufffd": "because\ufffd", ill_formed_unicode: true } });
    await store.close();
    store = await SqliteAuditStore.open(data);
    const stored: AuditRecord[] = await collect(store.iterate());
    expect(stored).toEqual([intent, call, event]);
    expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 3 });
    expect((await runCli(["audit", "verify", "--data-dir", data])).code).toBe(0);
  });

  it("leaves well-formed text alone, escaped backslashes included", async () => {
    const record = await store.append(entryFor("c-1", { arguments: { path: "C:\\\\ud800\\x", emoji: "😀" } }));
    expect(record.envelope.call.arguments).toEqual({ path: "C:\\\\ud800\\x", emoji: "😀" });
    expect(record.extra).not.toHaveProperty("ill_formed_unicode");
  });
});
