import { cp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEntryFor } from "../src/audit/audit-entry.js";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { jsonDigest } from "../src/bundle/hash.js";
import { StoredEnvelopeSchema, type Envelope } from "../src/core/envelope.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { appendCalls, entryFor, tempDataDir } from "./helpers/audit-fixtures.js";
import { buildReference, referencePolicy } from "./helpers/bundles.js";
import { runCli } from "./helpers/cli.js";

let dir: string;
/** Four calls decided by the reference bundle, then c-1 … c-6 with made-up decisions. */
let data: string;
let engine: WasmPolicyEngine;
let bundle: string;
const EXAMPLES = ["1-read-approved-server", "2-production-write", "3-non-production-write", "4-unregistered-server"];

beforeAll(async () => {
  dir = await tempDataDir();
  bundle = await buildReference(dir);
  engine = await WasmPolicyEngine.fromFile(bundle);
  data = join(dir, "data");
  const store = await SqliteAuditStore.open(data);
  for (const name of EXAMPLES) {
    const envelope = JSON.parse(await readFile(join(referencePolicy, "examples", `${name}.json`), "utf8")) as Envelope;
    if (name === "2-production-write") {
      envelope.call.arguments = { ...envelope.call.arguments, api_token: "tok-123456" };
      envelope.call.arguments_digest = jsonDigest(envelope.call.arguments);
    }
    const decision = engine.decide(envelope);
    const outcome = decision.decision === "DENY" ? "blocked" : decision.decision === "REQUIRE_APPROVAL" ? "pending" : "executed";
    await store.append(auditEntryFor({ envelope, decision, outcome, decisionLatencyUs: 35, ...(outcome === "executed" ? { upstreamLatencyMs: 120.5 } : {}) }));
  }
  await appendCalls(store, 6, (i) => ({ minute: 40 + i, server: i % 2 ? "slack" : "github", decision: i === 4 ? "DENY" : "ALLOW" }));
  await store.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const lastHash = () => {
  const db = new Database(join(data, AUDIT_FILE), { readonly: true });
  try {
    return (db.prepare("SELECT hash FROM audit_records ORDER BY id DESC LIMIT 1").get() as { hash: string }).hash;
  } finally {
    db.close();
  }
};

/** A copy of the store, edited behind its back with SQL. */
async function tampered(name: string, ...statements: string[]): Promise<string> {
  const copy = join(dir, `tampered-${name}`);
  await cp(data, copy, { recursive: true });
  const db = new Database(join(copy, AUDIT_FILE));
  for (const sql of statements) db.exec(sql);
  db.close();
  return copy;
}

describe("mcpgov audit why", () => {
  it("names the rules, bundle, decision, outcome, latencies and chain position of a call", async () => {
    const result = await runCli(["audit", "why", "c-0002", "--data-dir", data]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^decision\s+REQUIRE_APPROVAL$/m);
    expect(result.stdout).toMatch(/^rules\s+require-approval-production-write$/m);
    expect(result.stdout).toContain(`bundle       ${engine.bundle.hash} (revision test)`);
    expect(result.stdout).toMatch(/^reason\s+.*needs human approval/m);
    expect(result.stdout).toMatch(/^constraints\s+max_retries=1 max_runtime_sec=60$/m);
    expect(result.stdout).toMatch(/^outcome\s+pending$/m);
    expect(result.stdout).toMatch(/^latency\s+decision 35 µs, no upstream call$/m);
    expect(result.stdout).toMatch(/^chain\s+seq 2 of 10, prev sha256:[0-9a-f]{64}$/m);
    expect(result.stdout).toMatch(/^hash\s+sha256:[0-9a-f]{64} \(matches content\)$/m);
  });

  it("prints the record as JSON, reading the data folder from MCPGOV_DATA_DIR", async () => {
    const result = await runCli(["audit", "why", "c-0001", "--format", "json"], { env: { MCPGOV_DATA_DIR: data } });
    expect(result.code).toBe(0);
    const { record, seal } = JSON.parse(result.stdout) as { record: Record<string, unknown>; seal: string };
    expect(seal).toBe("intact");
    expect(record).toMatchObject({ seq: 1, call_id: "c-0001", decision: "ALLOW", outcome: "executed", upstream_latency_ms: 120.5 });
  });

  it("exits 1 naming an unknown call id", async () => {
    const result = await runCli(["audit", "why", "c-missing", "--data-dir", data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no audit record for call id "c-missing"');
  });

  it("exits 2 when the record no longer matches its hash", async () => {
    const copy = await tampered("why", "UPDATE audit_records SET reason = 'nothing to see' WHERE call_id = 'c-3'");
    const result = await runCli(["audit", "why", "c-3", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("DOES NOT MATCH CONTENT");
  });

  it("refuses flags of other subcommands and a missing call id", async () => {
    expect((await runCli(["audit", "why", "--data-dir", data])).stderr).toContain("audit why needs a CALL_ID");
    expect((await runCli(["audit", "verify", "--data-dir", data, "--server", "x"])).stderr).toContain("--server only apply to audit export");
  });
});

describe("mcpgov audit verify", () => {
  it("prints the record count and chain head of an intact chain", async () => {
    const result = await runCli(["audit", "verify", "--data-dir", data]);
    expect(result).toEqual({ code: 0, stdout: `ok: 10 records, chain head ${lastHash()}\n`, stderr: "" });
  });

  it("exits 1 when there is no store", async () => {
    const result = await runCli(["audit", "verify", "--data-dir", join(dir, "nothing-here")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no audit store in");
  });

  it("names a record whose decision was changed (modified)", async () => {
    const copy = await tampered("update", "UPDATE audit_records SET decision = 'ALLOW' WHERE seq = 8");
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 8 \(call c-4\) modified: its hash does not match its content$/m);
  });

  it("names a record whose deciding rules were edited (modified)", async () => {
    const copy = await tampered("rules", "UPDATE audit_rules SET rule = 'allow-everything' WHERE record_id = (SELECT id FROM audit_records WHERE seq = 3)");
    const result = await runCli(["audit", "verify", "--data-dir", copy, "--format", "json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, break: { kind: "modified", seq: 3, call_id: "c-0003" } });
  });

  it("names the seq of a deleted record (deleted)", async () => {
    const copy = await tampered("delete", "DELETE FROM audit_records WHERE seq = 6");
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 6 deleted: missing; the chain continues at seq 7 \(call c-3\)$/m);
  });

  it("names records cut off the end (deleted)", async () => {
    const copy = await tampered("truncate", "DELETE FROM audit_records WHERE seq >= 9");
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 9–10 deleted: missing from the end/m);
  });

  it("keeps showing a cut-off tail after the next append", async () => {
    const copy = await tampered("truncate-append", "DELETE FROM audit_records WHERE seq = 10");
    const store = await SqliteAuditStore.open(copy);
    expect((await store.append(entryFor("c-after"))).seq).toBe(11);
    await store.close();
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 10 deleted: missing; the chain continues at seq 11 \(call c-after\)$/m);
  });

  it("names a record whose seq was swapped with another's (reordered)", async () => {
    const copy = await tampered(
      "swap",
      "UPDATE audit_records SET seq = -1 WHERE seq = 5",
      "UPDATE audit_records SET seq = 5 WHERE seq = 7",
      "UPDATE audit_records SET seq = 7 WHERE seq = -1",
    );
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 5 \(call c-1\) reordered: sealed as seq 5, it now carries seq 7$/m);
  });

  it("names a record stored out of order (reordered)", async () => {
    // Move seq 4 behind seq 5 in storage order, keeping its own content and seq.
    const copy = await tampered(
      "move",
      "UPDATE audit_rules SET record_id = 1000 WHERE record_id = (SELECT id FROM audit_records WHERE seq = 4)",
      "UPDATE audit_records SET id = 1000 WHERE seq = 4",
      "UPDATE audit_rules SET record_id = 1001 WHERE record_id = (SELECT id FROM audit_records WHERE seq = 5)",
      "UPDATE audit_records SET id = 1001 WHERE seq = 5",
      "UPDATE audit_rules SET record_id = 4 WHERE record_id = 1001",
      "UPDATE audit_records SET id = 4 WHERE id = 1001",
      "UPDATE audit_rules SET record_id = 5 WHERE record_id = 1000",
      "UPDATE audit_records SET id = 5 WHERE id = 1000",
    );
    const result = await runCli(["audit", "verify", "--data-dir", copy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^broken: seq 5 \(call c-1\) reordered: stored before seq 4 \(call c-0004\)$/m);
  });
});

describe("mcpgov audit export", () => {
  const lines = async (path: string) => (await readFile(path, "utf8")).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);

  it("counts exported calls on stderr without a terminal (MCPGOV_PROGRESS_INTERVAL_MS sets the pace); --quiet says nothing", async () => {
    const out = join(dir, "progress.jsonl");
    const loud = await runCli(["audit", "export", "--data-dir", data, "--envelopes", out], { env: { MCPGOV_PROGRESS_INTERVAL_MS: "0" } });
    expect(loud.code).toBe(0);
    const counts = loud.stderr.split("\n").filter((l) => l.startsWith("mcpgov audit export: ")).map((l) => l.replace(/ \(\d+s\)/, ""));
    expect(counts).toEqual([...Array.from({ length: 10 }, (_, i) => `mcpgov audit export: ${i + 1} calls`), "mcpgov audit export: 10 calls, done"]);
    const quiet = await runCli(["audit", "export", "--data-dir", data, "--envelopes", out, "--quiet"], { env: { MCPGOV_PROGRESS_INTERVAL_MS: "0" } });
    expect(quiet.stderr).toBe(`exported 10 records: envelopes to ${out}\n`);
  });

  it("writes the stored envelopes as JSONL (v1 as recorded, v2 since) that decides as recorded, with secrets masked", async () => {
    const out = join(dir, "envelopes.jsonl");
    const result = await runCli(["audit", "export", "--data-dir", data, "--envelopes", out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`exported 10 records: envelopes to ${out}\n`);
    const envelopes = (await lines(out)).map((line) => StoredEnvelopeSchema.parse(line));
    expect(envelopes.map((e) => e.call.id)).toEqual(["c-0001", "c-0002", "c-0003", "c-0004", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6"]);
    const written = envelopes[1]!;
    expect(written.call.arguments).toMatchObject({ api_token: "[MASKED]", title: "Rotate deploy key" });
    expect(engine.decide(written)).toMatchObject({ decision: "REQUIRE_APPROVAL", rules: ["require-approval-production-write"] });
    for (const envelope of envelopes.slice(0, 4)) expect(engine.decide(envelope).decision).not.toBe(undefined);
  });

  it("writes envelopes that mcpgov diff replays", async () => {
    const out = join(dir, "replay.jsonl");
    expect((await runCli(["audit", "export", "--data-dir", data, "--envelopes", out])).code).toBe(0);
    const result = await runCli(["diff", "--base", bundle, "--head", bundle, "--envelopes", out, "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ envelopes: 10, unchanged: 10, skipped: 0 });
  });

  it("filters by time, server and decision", async () => {
    const out = join(dir, "filtered.jsonl");
    const ids = async (...args: string[]) => {
      const result = await runCli(["audit", "export", "--data-dir", data, "--envelopes", out, ...args]);
      expect(result.code).toBe(0);
      return (await lines(out)).map((e) => (e["call"] as { id: string }).id);
    };
    expect(await ids("--server", "slack")).toEqual(["c-1", "c-3", "c-5"]);
    expect(await ids("--decision", "DENY")).toEqual(["c-0004", "c-4"]);
    expect(await ids("--since", "2026-04-01T09:42:00Z", "--until", "2026-04-01T09:45:00Z")).toEqual(["c-2", "c-3", "c-4"]);
    expect((await runCli(["audit", "export", "--data-dir", data, "--envelopes", out, "--since", "soon"])).stderr).toContain("since: expected an RFC 3339 time");
  });

  it("writes OPA decision-log events", async () => {
    const out = join(dir, "decisions.jsonl");
    expect((await runCli(["audit", "export", "--data-dir", data, "--decision-log", out, "--decision", "REQUIRE_APPROVAL"])).code).toBe(0);
    const events = await lines(out);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(Object.keys(event).sort()).toEqual(["bundles", "custom", "decision_id", "input", "labels", "masked", "metrics", "path", "result", "timestamp"]);
    expect(event).toMatchObject({
      decision_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      path: "mcpgov/decision/result",
      result: { decision: "REQUIRE_APPROVAL", rules: ["require-approval-production-write"], constraints: { max_runtime_sec: 60 } },
      timestamp: "2026-04-01T09:30:00.000Z",
      bundles: { mcpgov: { revision: "test", hash: engine.bundle.hash } },
      labels: { id: expect.any(String), version: expect.any(String) },
      custom: { call_id: "c-0002", server: "github", outcome: "pending", audit_seq: 2 },
      metrics: { timer_rego_query_eval_ns: 35_000 },
      masked: ["/input/call/arguments/api_token"],
    });
    expect(StoredEnvelopeSchema.parse(event["input"])).toMatchObject({ call: { id: "c-0002" } });
    for (const value of Object.values(event["labels"] as object)) expect(typeof value).toBe("string");
  });

  it("gives every decision its own decision_id, the same in every export", async () => {
    const exportIds = async () => {
      const result = await runCli(["audit", "export", "--data-dir", data, "--decision-log", "-"]);
      expect(result.code).toBe(0);
      return result.stdout.trim().split("\n").map((l) => JSON.parse(l) as { decision_id: string; custom: { audit_seq: number } });
    };
    const first = await exportIds();
    expect(first.length).toBeGreaterThan(5);
    expect(new Set(first.map((e) => e.decision_id)).size).toBe(first.length);
    expect((await exportIds()).map((e) => e.decision_id)).toEqual(first.map((e) => e.decision_id));
  });

  it("writes to stdout with -, and needs at least one target", async () => {
    const result = await runCli(["audit", "export", "--data-dir", data, "--envelopes", "-", "--server", "github", "--decision", "DENY"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n").map((l) => (JSON.parse(l) as Envelope).call.id)).toEqual(["c-4"]);
    expect((await runCli(["audit", "export", "--data-dir", data])).stderr).toContain("needs --envelopes OUT.jsonl and/or --decision-log OUT.jsonl");
  });
});
