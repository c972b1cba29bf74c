/** @module Envelopes, decisions and audit entries for audit store and CLI tests. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditEntryFor } from "../../src/audit/audit-entry.js";
import type { AuditStore } from "../../src/audit/audit-store.js";
import { jsonDigest } from "../../src/bundle/hash.js";
import type { CallEntry, CallRecord, Outcome } from "../../src/core/audit-record.js";
import type { Decision, DecisionKind } from "../../src/core/decision.js";
import { buildEnvelope, type Action, type Envelope } from "../../src/core/envelope.js";

export const BUNDLE = { hash: `sha256:${"b".repeat(64)}`, revision: "2026-04-01.1" };

export function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "mcpgov-audit-"));
}

export interface CallSpec {
  server?: string;
  tool?: string;
  action?: Action;
  arguments?: Record<string, unknown>;
  /** Minutes after 2026-04-01T09:00:00Z. */
  minute?: number;
  decision?: DecisionKind;
  rules?: string[];
  outcome?: Outcome;
}

export function envelopeFor(callId: string, spec: CallSpec = {}): Envelope {
  const args = spec.arguments ?? { owner: "acme", repo: "api", title: `issue for ${callId}` };
  return buildEnvelope({
    callId,
    server: spec.server ?? "github",
    tool: spec.tool ?? "create_issue",
    arguments: args,
    argumentsDigest: jsonDigest(args),
    registry: { owner: "platform-team", environment: "prod", risk_tags: ["prod"], tenant: "acme" },
    action: spec.action ?? "write",
    subject: { id: "agent-7", tenant: "acme", roles: ["developer"] },
    time: new Date(Date.UTC(2026, 3, 1, 9, spec.minute ?? 0)).toISOString().replace(".000Z", "Z"),
    requestId: `req-${callId}`,
    transport: "streamable-http",
  });
}

export function decisionFor(spec: CallSpec = {}): Decision {
  const decision = spec.decision ?? "ALLOW";
  const rules = spec.rules ?? [decision === "DENY" ? "deny-unregistered" : "allow-registered-read"];
  return {
    decision,
    rules,
    reason: `${rules[0]}: decided ${decision}`,
    constraints: decision === "ALLOW_WITH_CONSTRAINTS" ? { max_runtime_sec: 30 } : {},
    matched: rules.map((rule) => ({ rule, decision })),
    bundle: BUNDLE,
  };
}

export function entryFor(callId: string, spec: CallSpec = {}): CallEntry {
  const decision = decisionFor(spec);
  const outcome = spec.outcome ?? (decision.decision === "DENY" ? "blocked" : decision.decision === "REQUIRE_APPROVAL" ? "pending" : "executed");
  return auditEntryFor({
    envelope: envelopeFor(callId, spec),
    decision,
    outcome,
    decisionLatencyUs: 12.4,
    ...(outcome === "executed" ? { upstreamLatencyMs: 48.25 } : {}),
  });
}

/** Appends calls c-1 … c-n one after another. */
export async function appendCalls(store: AuditStore, n: number, spec: (i: number) => CallSpec = () => ({})): Promise<CallRecord[]> {
  const records: CallRecord[] = [];
  for (let i = 1; i <= n; i++) records.push(await store.append(entryFor(`c-${i}`, spec(i))));
  return records;
}

/** Appends calls c-1 … c-n all at once: quick (they share commits), in call order. */
export function appendAtOnce(store: AuditStore, n: number): Promise<CallRecord[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => store.append(entryFor(`c-${i + 1}`))));
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
