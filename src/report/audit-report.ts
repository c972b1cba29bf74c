/** @module Renders `mcpgov audit why` and `mcpgov audit verify` results for people (pretty) or machines (json). */
import type { AuditRecord } from "../core/audit-record.js";
import { GENESIS_HASH } from "../core/audit-record.js";
import { describeBreak, type ChainVerdict } from "../audit/hash-chain.js";
import { formatConstraints } from "./decision-report.js";

export type AuditFormat = "pretty" | "json";

/** A record with whether its own hash still matches its content (the whole chain is `verify`'s job). */
export interface ExplainedRecord {
  record: AuditRecord;
  sealIntact: boolean;
  /** seq of the chain head when the record was read, to place the record in the chain. */
  headSeq?: number;
}

function latency(record: AuditRecord): string {
  const decision = `decision ${record.decision_latency_us} µs`;
  return record.upstream_latency_ms === undefined ? `${decision}, no upstream call` : `${decision}, upstream ${record.upstream_latency_ms.toFixed(1)} ms`;
}

function extraLines(record: AuditRecord): string[] {
  const { approval_id, approval_event, approval_group, approval_actor, approval_reason, approval_call_id, event_at, output_verdict, findings, ...rest } = record.extra;
  const lines: string[] = [];
  if (approval_id) {
    const event = approval_event ? ` ${String(approval_event)}${event_at ? ` at ${String(event_at)}` : ""}` : "";
    lines.push(`approval     ${approval_id}${event}${approval_group ? ` (group ${String(approval_group)})` : ""}`);
    if (approval_actor) lines.push(`approver     ${String(approval_actor)}${approval_reason ? `: ${String(approval_reason)}` : ""}`);
    else if (approval_reason) lines.push(`note         ${String(approval_reason)}`);
    if (approval_call_id) lines.push(`ran as call  ${String(approval_call_id)}`);
  }
  if (output_verdict) lines.push(`output       ${output_verdict}`);
  if (findings && Object.keys(findings).length > 0) {
    lines.push(`findings     ${Object.entries(findings).map(([kind, n]) => `${kind}=${n}`).join(" ")}`);
  }
  if (Object.keys(rest).length > 0) lines.push(`extra        ${JSON.stringify(rest)}`);
  return lines;
}

function prettyRecord({ record, sealIntact, headSeq }: ExplainedRecord): string {
  const subject = `${record.subject.id}${record.subject.tenant ? ` (tenant ${record.subject.tenant})` : ""}`;
  const lines = [
    `call         ${record.call_id}${record.request_id ? ` (request ${record.request_id})` : ""}`,
    `time         ${record.time}`,
    `subject      ${subject}`,
    `tool         ${record.server} / ${record.tool} (${record.action})`,
    `decision     ${record.decision}${record.fail_closed ? ` (fail-closed: ${record.fail_closed})` : ""}`,
    `rules        ${record.rules.join(", ")}`,
    `reason       ${record.reason}`,
    `constraints  ${formatConstraints(record.constraints)}`,
  ];
  if (record.matched.length > 1) {
    lines.push(`matched      ${record.matched.map((m) => `${m.rule} (${m.decision})`).join(", ")}`);
  }
  lines.push(
    `bundle       ${record.bundle.hash}${record.bundle.revision ? ` (revision ${record.bundle.revision})` : ""}`,
    `outcome      ${record.outcome}${record.error ? `: ${record.error}` : ""}`,
    `latency      ${latency(record)}`,
    ...extraLines(record),
    `envelope     ${record.envelope_digest}`,
    `chain        seq ${record.seq}${headSeq !== undefined ? ` of ${headSeq}` : ""}, prev ${record.prev_hash === GENESIS_HASH ? "genesis" : record.prev_hash}`,
    `hash         ${record.hash} (${sealIntact ? "matches content" : "DOES NOT MATCH CONTENT: record modified"})`,
  );
  return lines.join("\n");
}

/** Every record of one call (usually one), oldest first. */
export function formatWhy(records: readonly ExplainedRecord[], format: AuditFormat): string {
  if (format === "json") return records.map((r) => JSON.stringify({ record: r.record, seal: r.sealIntact ? "intact" : "broken" })).join("\n");
  return records.map(prettyRecord).join("\n\n");
}

export function formatVerdict(verdict: ChainVerdict, format: AuditFormat): string {
  if (format === "json") return JSON.stringify(verdict);
  if (verdict.ok) return `ok: ${verdict.count} records, chain head ${verdict.head?.hash ?? `${GENESIS_HASH} (empty chain)`}`;
  return `broken: ${describeBreak(verdict.break)}\n(${verdict.count} records read)`;
}
