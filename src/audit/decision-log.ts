/**
 * @module Audit records as OPA decision-log events, so SIEM pipelines that
 * already ingest OPA's decision logs take mcpgov's without a new parser.
 * Only call records are decisions with an outcome; intents and events are not exported here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { CallRecord } from "../core/audit-record.js";
import { DECISION_ENTRYPOINT } from "../engine/policy-engine.js";
import { MASK } from "../core/secret-mask.js";
import { packageRoot } from "../toolchain/opa.js";

export interface DecisionLogEvent {
  /** One per call record, derived from its chain hash (see decisionIdOf). */
  decision_id: string;
  path: typeof DECISION_ENTRYPOINT;
  input: CallRecord["envelope"];
  result: Pick<CallRecord, "decision" | "rules" | "reason" | "constraints" | "matched"> & Partial<Pick<CallRecord, "fail_closed">>;
  timestamp: string;
  /** OPA's `bundles`: revision per bundle name; mcpgov adds the bundle's content hash. */
  bundles: { mcpgov: { revision: string; hash: string } };
  /** The gateway that decided, as OPA's `labels` name the agent: strings only, `id` and `version` always present. */
  labels: Record<string, string>;
  metrics: Record<string, number>;
  /** The record's own facts (OPA's free-form `custom` map): call, server, tool, outcome, subject, audit position. */
  custom: Record<string, string | number>;
  /** JSON pointers of masked values, as OPA lists what its mask policy removed. */
  masked?: string[];
  /** The request's OpenTelemetry trace id (OPA's field of the same name), when it was traced. */
  trace_id?: string;
}

/**
 * The decision id of a call record: a UUID (version 8, RFC 9562) from the
 * first 122 bits of sha256 over the record's chain hash. The hash covers
 * the seq and the previous hash, so two records never share an id, and
 * the same record gets the same id from the live feed, from every export
 * and from every gateway reading a shared store: a SIEM can deduplicate.
 * (call_id is not unique per decision: chains may hold several call
 * records of one call_id, and it is not derived from the chain.)
 */
export function decisionIdOf(record: Pick<CallRecord, "hash">): string {
  const bytes = createHash("sha256").update(`mcpgov.decision_id:${record.hash}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

let version: string | undefined;
/** mcpgov's version, from its package.json. */
export function mcpgovVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(`${packageRoot()}/package.json`, "utf8")) as { version?: unknown }).version ?? "unknown");
    } catch {
      version = "unknown";
    }
  }
  return version;
}

/** The labels of a gateway: its configured id (else the host name), mcpgov's version, then the configured labels. */
export function gatewayLabels(identity: { id?: string | undefined; labels?: Record<string, string> } = {}): Record<string, string> {
  return { ...identity.labels, id: identity.id ?? hostname(), version: mcpgovVersion() };
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

export function toDecisionLogEvent(record: CallRecord, labels: Record<string, string> = gatewayLabels()): DecisionLogEvent {
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
    decision_id: decisionIdOf(record),
    path: DECISION_ENTRYPOINT,
    input: record.envelope,
    result,
    timestamp: record.time,
    bundles: { mcpgov: { revision: record.bundle.revision, hash: record.bundle.hash } },
    labels,
    metrics,
    custom: {
      call_id: record.call_id,
      server: record.server,
      tool: record.tool,
      action: record.action,
      outcome: record.outcome,
      subject: record.subject.id,
      ...(record.subject.tenant !== undefined ? { tenant: record.subject.tenant } : {}),
      ...(record.request_id !== undefined ? { request_id: record.request_id } : {}),
      audit_seq: record.seq,
      audit_hash: record.hash,
    },
  };
  if (typeof record.extra.trace_id === "string") event.trace_id = record.extra.trace_id;
  const masked = maskedPaths(record.envelope, "/input", []);
  if (masked.length > 0) event.masked = masked;
  return event;
}
