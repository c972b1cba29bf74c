/**
 * @module Reads the rollout gates' measures from the audit store over a
 * time window (`mcpgov gates --data-dir|--state --window 1h`): the same
 * facts the metrics count, from the records, so a gate can be checked
 * after the fact and across every gateway sharing the store.
 */
import type { AuditStore } from "../audit/audit-store.js";
import { isCallRecord, isEventRecord } from "../core/audit-record.js";
import type { Gate, GateMeasure, Measurement } from "../core/gates.js";

/** Nearest-rank quantile of values (sorted here); undefined for none. */
function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

export async function auditMeasures(audit: AuditStore, window: { since: string; until: string; label: string }): Promise<(gate: Gate) => Measurement> {
  const latencies: number[] = [];
  let unapproved = 0;
  let unknownServers = 0;
  let verdicts = 0;
  let quarantined = 0;
  const decided: Array<{ approvalId: string; at: number }> = [];
  for await (const record of audit.query({ since: window.since, until: window.until })) {
    if (isEventRecord(record)) {
      if (record.event === "server.unknown") unknownServers += 1;
      if ((record.event === "approval.approved" || record.event === "approval.denied") && record.approval_id) decided.push({ approvalId: record.approval_id, at: Date.parse(record.time) });
      continue;
    }
    if (!isCallRecord(record)) continue;
    latencies.push(record.decision_latency_us / 1e6);
    // As the metric counts it: a write or destructive call to a prod-tagged target that was dispatched without an approval.
    const highRisk = (record.action === "write" || record.action === "destructive") && record.envelope.risk_tags.includes("prod");
    if (highRisk && record.intent_seq !== undefined && !record.extra.approval_id) unapproved += 1;
    if (record.extra.output_verdict !== undefined) {
      verdicts += 1;
      if (record.extra.output_verdict === "QUARANTINE") quarantined += 1;
    }
  }
  const waits: number[] = [];
  for (const { approvalId, at } of decided) {
    // The request may have been created before the window: look it up by id.
    for await (const created of audit.query({ approvalId, event: "approval.created", limit: 1 })) waits.push(Math.max(0, (at - Date.parse(created.time)) / 1000));
  }
  const over = `the audit records of ${window.label}`;
  const ofQuantile = (value: number | undefined, count: number, what: string): Measurement =>
    value === undefined ? { value: 0, note: `no ${what} in ${over}` } : { value, note: `${over} (${count} ${what})` };
  const measures: Record<GateMeasure, Measurement> = {
    decision_latency_p95_seconds: ofQuantile(quantile(latencies, 0.95), latencies.length, "decided calls"),
    unapproved_high_risk_writes: { value: unapproved, note: over },
    approval_queue_median_wait_seconds: ofQuantile(quantile(waits, 0.5), waits.length, "approval decisions"),
    unknown_server_connections: { value: unknownServers, note: over },
    output_quarantine_ratio: { value: verdicts === 0 ? 0 : quarantined / verdicts, note: `${over} (${verdicts} output verdicts)` },
  };
  return (gate) => measures[gate.measure];
}
