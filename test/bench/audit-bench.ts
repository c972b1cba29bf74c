/**
 * @module Audit append cost: latency (median, p99) and appends/s of the
 * SQLite store in WAL mode, with synchronous=FULL (the default: every commit
 * fsynced) and NORMAL, for one caller and for many concurrent callers
 * (group commit), plus the cost of verifying the chain.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { auditEntryFor } from "../../src/audit/audit-entry.js";
import { verifyChain } from "../../src/audit/hash-chain.js";
import { SqliteAuditStore } from "../../src/audit/sqlite-audit-store.js";
import { jsonDigest } from "../../src/bundle/hash.js";
import type { AuditEntry } from "../../src/core/audit-record.js";
import type { Decision } from "../../src/core/decision.js";
import { buildEnvelope } from "../../src/core/envelope.js";
import { fmt, nowMicros, summarise } from "./stats.js";

const APPENDS = 5_000;
const WARM_UP = 200;

const decision: Decision = {
  decision: "ALLOW_WITH_CONSTRAINTS",
  rules: ["allow-non-production-write"],
  reason: "allow-non-production-write: writes outside production run with limits",
  constraints: { max_runtime_sec: 30, network_allowlist: ["api.github.com"] },
  matched: [{ rule: "allow-non-production-write", decision: "ALLOW_WITH_CONSTRAINTS" }],
  bundle: { hash: `sha256:${"b".repeat(64)}`, revision: "bench" },
};

/** A typical write call (about 1 KB of envelope) with one secret to mask. */
function entry(i: number): AuditEntry {
  const args = { owner: "acme", repo: "api", title: `Issue ${i}`, body: "Steps to reproduce: ".repeat(20), api_token: "tok-abcdef" };
  const envelope = buildEnvelope({
    callId: `bench-${i}`,
    server: "github",
    tool: "create_issue",
    arguments: args,
    argumentsDigest: jsonDigest(args),
    registry: { owner: "platform-team", environment: "staging", risk_tags: ["staging"] },
    action: "write",
    subject: { id: "agent-7", tenant: "acme", roles: ["developer"] },
    time: new Date(Date.UTC(2026, 3, 1) + i * 1000).toISOString(),
    requestId: `req-${i}`,
  });
  return auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 20, upstreamLatencyMs: 85 });
}

/** `callers` async callers append in a loop, each awaiting its own append: what a busy gateway does. */
async function measure(dir: string, synchronous: "full" | "normal", callers: number) {
  const store = await SqliteAuditStore.open(dir, { synchronous });
  try {
    const entries = Array.from({ length: APPENDS + WARM_UP }, (_, i) => entry(i));
    for (let i = 0; i < WARM_UP; i++) await store.append(entries[i]!);
    const samples: number[] = [];
    let next = WARM_UP;
    const caller = async () => {
      while (next < entries.length) {
        const item = entries[next++]!;
        const start = nowMicros();
        await store.append(item);
        samples.push(nowMicros() - start);
      }
    };
    const started = nowMicros();
    await Promise.all(Array.from({ length: callers }, caller));
    const perSecond = APPENDS / ((nowMicros() - started) / 1e6);
    const verifyStart = nowMicros();
    const verdict = await verifyChain(store.iterate(), { head: (await store.head())! });
    const verifyPerSecond = verdict.count / ((nowMicros() - verifyStart) / 1e6);
    if (!verdict.ok) throw new Error("benchmark chain does not verify");
    return { append: summarise(samples), perSecond, verifyPerSecond };
  } finally {
    await store.close();
  }
}

export async function auditBench(workDir: string): Promise<string[]> {
  const lines = [
    `audit append (SQLite WAL, ~1 KB envelope, ${APPENDS} appends; latency = append call until durable)`,
    "synchronous  callers | p50 µs   p99 µs | appends/s | verify records/s",
  ];
  for (const synchronous of ["full", "normal"] as const) {
    for (const callers of [1, 32]) {
      const dir = join(workDir, `audit-${synchronous}-${callers}`);
      try {
        const r = await measure(dir, synchronous, callers);
        lines.push(
          `${synchronous.padEnd(11)} ${String(callers).padStart(8)} | ${fmt(r.append.median).padStart(6)} ${fmt(r.append.p99).padStart(8)} | ` +
            `${fmt(r.perSecond, 0).padStart(9)} | ${fmt(r.verifyPerSecond, 0).padStart(16)}`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  lines.push(
    "full: every commit fsyncs the WAL (survives power loss); normal: survives a killed process, not an OS crash",
    "concurrent appends in one event-loop turn share one commit (group commit), hence the higher rate with 32 callers",
  );
  return lines;
}
