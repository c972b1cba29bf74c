/**
 * @module Audit records as OPA decision-log events, so SIEM pipelines that
 * already ingest OPA's decision logs take mcpgov's without a new parser.
 * Only call records are decisions with an outcome; intents and events are not exported here.
 */
import type { CallRecord } from "../core/audit-record.js";
import { DECISION_ENTRYPOINT } from "../engine/policy-engine.js";
import { MASK } from "../core/secret-mask.js";

export interface DecisionLogEvent {
  decision_id: string;
  path: typeof DECISION_ENTRYPOINT;
  input: CallRecord["envelope"];
  result: Pick<CallRecord, "decision" | "rules" | "reason" | "constraints" | "matched"> & Partial<Pick<CallRecord, "fail_closed">>;
  timestamp: string;
  bundles: { mcpgov: { revision: string } };
  /** OPA labels are strings only. */
  labels: Record<string, string>;
  metrics: Record<string, number>;
  /** JSON pointers of masked values, as OPA lists what its mask policy removed. */
  masked?: string[];
}

const pointerPart = (key: string | number) => String(key).replace(/~/g, "~0").replace(/\//g, "~1");

function maskedPaths(value: unknown, path: string, out: string[]): string[] {
  if (typeof value === "string") {
    if (value.includes(MASK)) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => maskedPaths(item, `${path}/${i}`, out));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) maskedPaths(item, `${path}/${pointerPart(key)}`, out);
  }
  return out;
}

export function toDecisionLogEvent(record: CallRecord): DecisionLogEvent {
  const result: DecisionLogEvent["result"] = {
    decision: record.decision,
    rules: record.rules,
    reason: record.reason,
    constraints: record.constraints,
    matched: record.matched,
  };
  if (record.fail_closed) result.fail_closed = record.fail_closed;
  const metrics: Record<string, number> = { timer_rego_query_eval_ns: record.decision_latency_us * 1_000 };
  if (record.upstream_latency_ms !== undefined) metrics["timer_mcpgov_upstream_ns"] = Math.round(record.upstream_latency_ms * 1_000_000);
  const event: DecisionLogEvent = {
    decision_id: record.call_id,
    path: DECISION_ENTRYPOINT,
    input: record.envelope,
    result,
    timestamp: record.time,
    bundles: { mcpgov: { revision: record.bundle.revision } },
    labels: {
      app: "mcpgov",
      bundle_hash: record.bundle.hash,
      server: record.server,
      tool: record.tool,
      action: record.action,
      outcome: record.outcome,
      subject: record.subject.id,
      ...(record.subject.tenant !== undefined ? { tenant: record.subject.tenant } : {}),
      ...(record.request_id !== undefined ? { request_id: record.request_id } : {}),
      audit_seq: String(record.seq),
      audit_hash: record.hash,
    },
    metrics,
  };
  const masked = maskedPaths(record.envelope, "/input", []);
  if (masked.length > 0) event.masked = masked;
  return event;
}
