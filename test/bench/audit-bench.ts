/**
 * @module Audit append cost: latency (median, p99) and appends/s of the
 * SQLite store in WAL mode, with synchronous=FULL (the default: every commit
 * fsynced) and NORMAL, for one caller and for many concurrent callers
 * (group commit), plus the cost of verifying the chain; and the cost of
 * evidence before execution: one call record per call (before) against an
 * intent record awaited before dispatch plus the outcome record after.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { auditEntryFor, intentEntryFor } from "../../src/audit/audit-entry.js";
import { verifyChain } from "../../src/audit/hash-chain.js";
import { SqliteAuditStore } from "../../src/audit/sqlite-audit-store.js";
import { jsonDigest } from "../../src/bundle/hash.js";
import type { CallEntry } from "../../src/core/audit-record.js";
import type { Envelope } from "../../src/core/envelope.js";
import type { Decision } from "../../src/core/decision.js";
import { buildEnvelope } from "../../src/core/envelope.js";
import { auditPgBench } from "./audit-pg-bench.js";
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
function envelopeOf(i: number): Envelope {
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
  return envelope;
}

function entry(i: number): CallEntry {
  return auditEntryFor({ envelope: envelopeOf(i), decision, outcome: "executed", decisionLatencyUs: 20, upstreamLatencyMs: 85 });
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

const CALLS = 2_000;

/**
 * Evidence per call, as the pipeline writes it, with `callers` concurrent
 * calls: "call" appends one call record after the call (before intents);
 * "intent" awaits an intent record before dispatch, then appends the
 * outcome record with intent_seq. Entries are built inside the timing, as
 * the gateway builds them. Latency is per call, all its appends until
 * durable; `pre` is the part before dispatch (the intent).
 */
async function measureCalls(dir: string, mode: "call" | "intent", callers: number) {
  const store = await SqliteAuditStore.open(dir, { synchronous: "full" });
  try {
    const envelopes = Array.from({ length: CALLS + WARM_UP }, (_, i) => envelopeOf(i));
    const one = async (envelope: Envelope): Promise<number> => {
      const start = nowMicros();
      if (mode === "intent") {
        const intent = await store.append(intentEntryFor({ envelope, decision, decisionLatencyUs: 20 }));
        const pre = nowMicros() - start;
        await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 20, upstreamLatencyMs: 85, intentSeq: intent.seq }));
        return pre;
      }
      await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 20, upstreamLatencyMs: 85 }));
      return 0;
    };
    for (let i = 0; i < WARM_UP; i++) await one(envelopes[i]!);
    const samples: number[] = [];
    const pre: number[] = [];
    let next = WARM_UP;
    const caller = async () => {
      while (next < envelopes.length) {
        const envelope = envelopes[next++]!;
        const start = nowMicros();
        pre.push(await one(envelope));
        samples.push(nowMicros() - start);
      }
    };
    const started = nowMicros();
    await Promise.all(Array.from({ length: callers }, caller));
    const perSecond = CALLS / ((nowMicros() - started) / 1e6);
    const verdict = await verifyChain(store.iterate(), { head: (await store.head())! });
    if (!verdict.ok) throw new Error("benchmark chain does not verify");
    return { call: summarise(samples), pre: summarise(pre), perSecond };
  } finally {
    await store.close();
  }
}

async function intentLines(workDir: string): Promise<string[]> {
  const lines = [
    "",
    `evidence per call (synchronous=full, ${CALLS} calls): call record only (before) vs intent before dispatch + outcome after (after)`,
    "callers  mode          | p50 µs   p99 µs | calls/s | intent (pre-dispatch) p50 µs  p99 µs",
  ];
  for (const callers of [1, 16]) {
    const results: Record<string, Awaited<ReturnType<typeof measureCalls>>> = {};
    for (const mode of ["call", "intent"] as const) {
      const dir = join(workDir, `audit-calls-${mode}-${callers}`);
      try {
        const r = await measureCalls(dir, mode, callers);
        results[mode] = r;
        const preText = mode === "intent" ? `${fmt(r.pre.median).padStart(28)} ${fmt(r.pre.p99).padStart(7)}` : `${"-".padStart(28)} ${"-".padStart(7)}`;
        lines.push(
          `${String(callers).padStart(7)}  ${(mode === "call" ? "call only" : "intent+outcome").padEnd(13)} | ${fmt(r.call.median).padStart(6)} ${fmt(r.call.p99).padStart(8)} | ` +
            `${fmt(r.perSecond, 0).padStart(7)} | ${preText}`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const before = results["call"]!;
    const after = results["intent"]!;
    lines.push(
      `${String(callers).padStart(7)}  ratio after/before: p50 ×${fmt(after.call.median / before.call.median, 2)}, p99 ×${fmt(after.call.p99 / before.call.p99, 2)}, ` +
        `calls/s ×${fmt(after.perSecond / before.perSecond, 2)}`,
    );
  }
  lines.push("after: the intent is durable before the upstream sees the call; a call killed mid-flight still has evidence (audit verify lists it as outcome unknown)");
  return lines;
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
  lines.push(...(await auditPgBench(entry)));
  lines.push(...(await intentLines(workDir)));
  return lines;
}
