/** @module Renders `mcpgov audit why` and `mcpgov audit verify` results for people (pretty) or machines (json). */
import type { AuditRecord, CallRecord, EventRecord, IntentRecord } from "../core/audit-record.js";
import { approvalStepOf, GENESIS_HASH } from "../core/audit-record.js";
import { describeBreak, type ChainVerdict } from "../audit/hash-chain.js";
import type { OutcomeUnknown } from "../audit/audit-store.js";
import { formatConstraints } from "./decision-report.js";

export type AuditFormat = "pretty" | "json";

/** A record with whether its own hash still matches its content (the whole chain is `verify`'s job). */
export interface ExplainedRecord {
  record: AuditRecord;
  sealIntact: boolean;
  /** seq of the chain head when the record was read, to place the record in the chain. */
  headSeq?: number;
}

function latency(record: CallRecord): string {
  const decision = `decision ${record.decision_latency_us} µs`;
  return record.upstream_latency_ms === undefined ? `${decision}, no upstream call` : `${decision}, upstream ${record.upstream_latency_ms.toFixed(1)} ms`;
}

function extraLines(record: CallRecord | IntentRecord): string[] {
  // approval_* keys: records written before approval steps became event records.
  const { approval_id, approval_event, approval_group, approval_actor, approval_reason, approval_call_id, event_at, output_verdict, findings, trace_id, ...rest } = record.extra;
  const lines: string[] = [];
  if (approval_id) {
    const event = approval_event ? ` ${String(approval_event)}${event_at ? ` at ${String(event_at)}` : ""}` : "";
    lines.push(`approval     ${approval_id}${event}${approval_group ? ` (group ${String(approval_group)})` : ""}`);
    if (approval_actor) lines.push(`approver     ${String(approval_actor)}${approval_reason ? `: ${String(approval_reason)}` : ""}`);
    else if (approval_reason) lines.push(`note         ${String(approval_reason)}`);
    if (approval_call_id) lines.push(`ran as call  ${String(approval_call_id)}`);
  }
  if (output_verdict) lines.push(`output       ${output_verdict}`);
  if (trace_id) lines.push(`trace        ${trace_id}`);
  if (findings && Object.keys(findings).length > 0) {
    lines.push(`findings     ${Object.entries(findings).map(([kind, n]) => `${kind}=${n}`).join(" ")}`);
  }
  if (Object.keys(rest).length > 0) lines.push(`extra        ${JSON.stringify(rest)}`);
  return lines;
}

const subjectText = (subject: { id: string; tenant?: string | undefined }) => `${subject.id}${subject.tenant ? ` (tenant ${subject.tenant})` : ""}`;

function decidedLines(record: CallRecord | IntentRecord): string[] {
  const lines = [
    `time         ${record.time}`,
    `subject      ${subjectText(record.subject)}`,
    `tool         ${record.server} / ${record.tool} (${record.action})`,
    `decision     ${record.decision}${record.fail_closed ? ` (fail-closed: ${record.fail_closed})` : ""}`,
    `rules        ${record.rules.join(", ")}`,
    `reason       ${record.reason}`,
    `constraints  ${formatConstraints(record.constraints)}`,
  ];
  if (record.matched.length > 1) {
    lines.push(`matched      ${record.matched.map((m) => `${m.rule} (${m.decision})`).join(", ")}`);
  }
  lines.push(`bundle       ${record.bundle.hash}${record.bundle.revision ? ` (revision ${record.bundle.revision})` : ""}`);
  return lines;
}

function callLines(record: CallRecord): string[] {
  return [
    `call         ${record.call_id}${record.request_id ? ` (request ${record.request_id})` : ""}`,
    ...decidedLines(record),
    `outcome      ${record.outcome}${record.error ? `: ${record.error}` : ""}${record.intent_seq !== undefined ? ` (intent at seq ${record.intent_seq})` : ""}`,
    `latency      ${latency(record)}`,
    ...extraLines(record),
    `envelope     ${record.envelope_digest}`,
  ];
}

function intentLines(record: IntentRecord): string[] {
  return [
    `intent       ${record.call_id}${record.request_id ? ` (request ${record.request_id})` : ""}: decided, about to be dispatched`,
    ...decidedLines(record),
    ...extraLines(record),
    `envelope     ${record.envelope_digest}`,
  ];
}

/** An approval step reads as before events existed: the request, its step, who decided and why. */
function approvalLines(record: EventRecord, step: string): { lines: string[]; shown: Set<string> } {
  const { group, actor, reason, ran_as_call } = record.details;
  const lines = [`approval     ${record.approval_id ?? "?"} ${step} at ${record.time}${group !== undefined ? ` (group ${String(group)})` : ""}`];
  if (actor !== undefined) lines.push(`approver     ${String(actor)}${reason !== undefined ? `: ${String(reason)}` : ""}`);
  else if (reason !== undefined) lines.push(`note         ${String(reason)}`);
  if (ran_as_call !== undefined) lines.push(`ran as call  ${String(ran_as_call)}`);
  return { lines, shown: new Set(["group", "actor", "reason", "ran_as_call"]) };
}

function eventLines(record: EventRecord): string[] {
  const lines = [`event        ${record.event}`, `time         ${record.time}`];
  if (record.subject) lines.push(`subject      ${subjectText(record.subject)}`);
  if (record.server !== undefined) lines.push(`tool         ${record.server}${record.tool !== undefined ? ` / ${record.tool}` : ""}`);
  if (record.call_id !== undefined) lines.push(`call         ${record.call_id}`);
  const step = approvalStepOf(record);
  const approval = step === undefined ? undefined : approvalLines(record, step);
  if (approval) lines.push(...approval.lines);
  else if (record.approval_id !== undefined) lines.push(`approval     ${record.approval_id}`);
  if (record.quarantine_id !== undefined) lines.push(`quarantine   ${record.quarantine_id}`);
  for (const [key, value] of Object.entries(record.details)) if (!approval?.shown.has(key)) lines.push(`${key.padEnd(12)} ${String(value)}`);
  if (record.bundle) lines.push(`bundle       ${record.bundle.hash}${record.bundle.revision ? ` (revision ${record.bundle.revision})` : ""}`);
  return lines;
}

function prettyRecord({ record, sealIntact, headSeq }: ExplainedRecord): string {
  const body = record.kind === "event" ? eventLines(record) : record.kind === "intent" ? intentLines(record) : callLines(record);
  return [
    ...body,
    `chain        seq ${record.seq}${headSeq !== undefined ? ` of ${headSeq}` : ""}, prev ${record.prev_hash === GENESIS_HASH ? "genesis" : record.prev_hash}`,
    `hash         ${record.hash} (${sealIntact ? "matches content" : "DOES NOT MATCH CONTENT: record modified"})`,
  ].join("\n");
}

/** A dispatched call whose outcome was never recorded, as `why` says it. */
export function describeOutcomeUnknown(intent: Pick<OutcomeUnknown, "call_id" | "seq" | "time">): string {
  return `outcome unknown: intent recorded at ${intent.time} (seq ${intent.seq}), no outcome record for call ${intent.call_id}; the gateway stopped after dispatch, or the call is still running`;
}

/** Every record of one call (intent, outcome, linked events), oldest first; `unknown` when the call has an intent and no outcome. */
export function formatWhy(records: readonly ExplainedRecord[], format: AuditFormat, unknown?: OutcomeUnknown): string {
  if (format === "json") {
    const lines = records.map((r) => JSON.stringify({ record: r.record, seal: r.sealIntact ? "intact" : "broken" }));
    if (unknown) lines.push(JSON.stringify({ outcome_unknown: unknown }));
    return lines.join("\n");
  }
  const blocks = records.map(prettyRecord);
  if (unknown) blocks.push(describeOutcomeUnknown(unknown));
  return blocks.join("\n\n");
}

/** The chain's verdict, and the dispatched calls without an outcome (which do not break the chain). */
export function formatVerdict(verdict: ChainVerdict, format: AuditFormat, unknown: readonly OutcomeUnknown[] = []): string {
  if (format === "json") return JSON.stringify({ ...verdict, outcome_unknown: unknown });
  const lines =
    verdict.ok
      ? [`ok: ${verdict.count} records, chain head ${verdict.head?.hash ?? `${GENESIS_HASH} (empty chain)`}`]
      : [`broken: ${describeBreak(verdict.break)}`, `(${verdict.count} records read)`];
  if (unknown.length > 0) {
    lines.push(`${unknown.length} call(s) with outcome unknown (intent recorded, no outcome):`);
    for (const u of unknown) lines.push(`  ${u.call_id}  intent seq ${u.seq} at ${u.time}  ${u.server} / ${u.tool}`);
  }
  return lines.join("\n");
}
