/**
 * @module The audit record: what every governed call leaves behind before
 * its response is returned, and the link that chains it to the record
 * before it.
 *
 * An *entry* is what the gateway hands the store; the store seals it into a
 * *record* by adding `seq`, `prev_hash` and `hash` (see src/audit/hash-chain.ts).
 *
 * Three kinds share one chain: `intent` (a call about to be dispatched,
 * written before the upstream sees it), `call` (what was decided and what
 * happened; records without `kind` are calls, so chains written before kinds
 * existed verify unchanged) and `event` (steps that are not calls: approvals,
 * quarantine reviews, pin violations). An event never carries a made-up
 * envelope or decision.
 */
import { z } from "zod";
import { DecisionSchema, type Decision } from "./decision.js";
import { ActionSchema, EnvelopeSchema, type Envelope } from "./envelope.js";
import { capArguments, MAX_AUDIT_ARGUMENTS_BYTES } from "./audit-arguments.js";
import { maskSecrets, maskText } from "./secret-mask.js";

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex digits>");

/** prev_hash of the first record: a hash no content can have. */
export const GENESIS_HASH = `sha256:${"0".repeat(64)}`;

export const OutcomeSchema = z
  .enum(["executed", "blocked", "pending", "failed", "timed_out", "error"])
  .describe(
    "What happened to the call: executed upstream, blocked by policy, pending approval, failed upstream, " +
      "timed out, or an error in the gateway itself.",
  );
export type Outcome = z.infer<typeof OutcomeSchema>;

export const AuditExtraSchema = z
  .object({
    approval_id: z.string().min(1).optional(),
    output_verdict: z.string().min(1).optional(),
    findings: z.record(z.string(), z.number().int().nonnegative()).optional().describe("Finding counts by kind."),
    trace_id: z
      .string()
      .regex(/^[0-9a-f]{32}$/, "expected 32 lower-case hex digits")
      .optional()
      .describe("The OpenTelemetry trace id of the request, when tracing is on; records written without tracing have none."),
  })
  .catchall(z.unknown())
  .describe("Facts later stages add (approvals, output inspection); part of the sealed content.");
export type AuditExtra = z.infer<typeof AuditExtraSchema>;

/** Longest error text kept; an upstream may answer with megabytes. */
export const MAX_ERROR_LENGTH = 2_000;

/** The facts every call-shaped record (call and intent) has, from the envelope and the decision. */
const callFacts = {
  call_id: z.string().min(1),
  // UTC with milliseconds, so that text order is time order for range queries.
  time: z.iso.datetime({ precision: 3 }).describe("Request time from the envelope context, as UTC with milliseconds."),
  request_id: z.string().min(1).optional(),
  subject: z.object({ id: z.string().min(1), tenant: z.string().optional() }).strict(),
  server: z.string().min(1),
  tool: z.string().min(1),
  action: ActionSchema,
  envelope_digest: Digest.describe("sha256 over the canonical JSON of the envelope as decided, before masking."),
  envelope: EnvelopeSchema.describe("The envelope with secrets masked and arguments capped (see audit-arguments.ts)."),
  ...DecisionSchema.shape,
  decision_latency_us: z.number().int().nonnegative(),
  extra: AuditExtraSchema.default({}),
};

export const CallEntrySchema = z
  .object({
    kind: z.literal("call").optional().describe("Absent in records written before record kinds existed: those are calls."),
    ...callFacts,
    intent_seq: z.number().int().positive().optional().describe("seq of the intent record written before the call was dispatched."),
    outcome: OutcomeSchema,
    error: z.string().max(MAX_ERROR_LENGTH).optional().describe("Error text, secrets masked."),
    upstream_latency_ms: z.number().nonnegative().optional(),
  })
  .strict()
  .describe("mcpgov audit entry of a call: what was decided and what happened (unsealed)");
export type CallEntry = z.infer<typeof CallEntrySchema>;

export const IntentEntrySchema = z
  .object({ kind: z.literal("intent"), ...callFacts })
  .strict()
  .describe("mcpgov audit entry of a call about to be dispatched, written (durably) before the upstream sees it (unsealed)");
export type IntentEntry = z.infer<typeof IntentEntrySchema>;

const EventName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+$/, "expected a dotted lower-case event name such as approval.created")
  .max(100);
const DetailValue = z.union([z.string().max(2_000), z.number(), z.boolean()]);

export const EventEntrySchema = z
  .object({
    kind: z.literal("event"),
    event: EventName.describe("What happened, e.g. approval.created, quarantine.released, pin.violation, server.unknown."),
    time: z.iso.datetime({ precision: 3 }),
    subject: z.object({ id: z.string().min(1), tenant: z.string().optional() }).strict().optional().describe("Who acted or asked."),
    server: z.string().min(1).optional(),
    tool: z.string().min(1).optional(),
    bundle: z.object({ hash: Digest, revision: z.string() }).strict().optional().describe("The bundle active at the event."),
    details: z.record(z.string(), DetailValue).describe("Facts of the event: flat, masked, never raw call arguments."),
    call_id: z.string().min(1).optional().describe("The call the event belongs to."),
    approval_id: z.string().min(1).optional(),
    quarantine_id: z.string().min(1).optional(),
  })
  .strict()
  .describe("mcpgov audit entry of an event that is not a call: no envelope, no decision (unsealed)");
export type EventEntry = z.infer<typeof EventEntrySchema>;

export const AuditEntrySchema = z
  .union([CallEntrySchema, IntentEntrySchema, EventEntrySchema])
  .describe("mcpgov audit entry (unsealed): a call, the intent before one, or an event");
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** The schema for an entry's kind, so a refusal names the wrong field rather than "no union member matched". */
export function entrySchemaFor(entry: unknown): typeof CallEntrySchema | typeof IntentEntrySchema | typeof EventEntrySchema {
  const kind = typeof entry === "object" && entry !== null ? (entry as { kind?: unknown }).kind : undefined;
  return kind === "event" ? EventEntrySchema : kind === "intent" ? IntentEntrySchema : CallEntrySchema;
}
export type AuditEntryInput = z.input<typeof AuditEntrySchema>;

const seal = {
  seq: z.number().int().positive().describe("Position in the chain, from 1, without gaps."),
  prev_hash: Digest.describe("hash of the previous record; GENESIS_HASH for seq 1."),
  hash: Digest.describe("sha256 over the canonical JSON of this record without `hash`."),
};
export const CallRecordSchema = CallEntrySchema.extend(seal);
export const IntentRecordSchema = IntentEntrySchema.extend(seal);
export const EventRecordSchema = EventEntrySchema.extend(seal);
export type CallRecord = z.infer<typeof CallRecordSchema>;
export type IntentRecord = z.infer<typeof IntentRecordSchema>;
export type EventRecord = z.infer<typeof EventRecordSchema>;

export const AuditRecordSchema = z.union([CallRecordSchema, IntentRecordSchema, EventRecordSchema]).describe("mcpgov audit record (sealed)");
export type AuditRecord = z.infer<typeof AuditRecordSchema>;
export type AuditRecordKind = "call" | "intent" | "event";

/** A record's kind; records without `kind` predate kinds and are calls. */
export const recordKind = (record: Pick<AuditEntry, "kind">): AuditRecordKind => record.kind ?? "call";
export const isCallRecord = (record: AuditRecord): record is CallRecord => recordKind(record) === "call";
export const isIntentRecord = (record: AuditRecord): record is IntentRecord => record.kind === "intent";
export const isEventRecord = (record: AuditRecord): record is EventRecord => record.kind === "event";

/** The approval step an event record is ("created", "approved"…), or undefined for any other record. */
export function approvalStepOf(record: AuditRecord): string | undefined {
  return record.kind === "event" && record.event.startsWith("approval.") ? record.event.slice("approval.".length) : undefined;
}

/** What an intent and a call record share: the envelope as decided and its decision. */
export interface DecidedCallParts {
  /** The envelope as decided (unmasked); it is masked and its arguments capped here. */
  envelope: Envelope;
  /** sha256 of canonicalJson(envelope), computed by the caller (the core does no hashing). */
  envelopeDigest: string;
  decision: Decision;
  decisionLatencyUs: number;
  extra?: AuditExtra;
  /** Most bytes of argument JSON kept (default MAX_AUDIT_ARGUMENTS_BYTES). */
  maxArgumentBytes?: number;
  /**
   * The envelope already masked and capped for this call: pass the intent's
   * `envelope` when building its outcome, to mask once per call, not twice.
   */
  maskedEnvelope?: Envelope;
  /**
   * What the call addresses, when it is not the envelope's `call.tool` (a
   * resource or prompt, e.g. a v2 envelope's `call.target`); stored as `tool`.
   */
  tool?: string;
}

export interface AuditEntryParts extends DecidedCallParts {
  outcome: Outcome;
  error?: string;
  upstreamLatencyMs?: number;
  /** seq of the call's intent record, when one was written (the call was dispatched). */
  intentSeq?: number;
}

export type IntentEntryParts = DecidedCallParts;

/** Facts of an event; `time` is an ISO time (the caller's clock). */
export interface EventEntryParts {
  event: string;
  time: string;
  subject?: { id: string; tenant?: string | undefined };
  server?: string;
  tool?: string;
  bundle?: { hash: string; revision: string };
  /** Flat facts; strings are masked here (and clipped), so callers may pass reasons as typed. */
  details?: Record<string, string | number | boolean | undefined>;
  callId?: string;
  approvalId?: string;
  quarantineId?: string;
}

/**
 * The envelope as it may be stored: secrets masked, arguments capped (see
 * capArguments), `arguments_digest` untouched (it is a hash, and it binds
 * the record to the real arguments).
 */
export function maskEnvelope(envelope: Envelope, maxArgumentBytes = MAX_AUDIT_ARGUMENTS_BYTES): Envelope {
  const masked = maskSecrets(envelope);
  return { ...masked, call: { ...masked.call, arguments: capArguments(masked.call.arguments, maxArgumentBytes), arguments_digest: envelope.call.arguments_digest } };
}

/**
 * Entries made by the builders here. Every field of one comes from typed
 * parts that were validated where they entered (the envelope by
 * buildEnvelope or EnvelopeSchema, the decision by the engine's result
 * schema, stored rows by their schemas) or is computed here in a form the
 * schema accepts (ISO time, rounded non-negative latencies, a clipped
 * error). A store may take such an entry as valid instead of parsing the
 * whole envelope again; any other object it validates. An entry changed
 * after it was built is the caller's bug: callers hand it on untouched.
 */
const builtEntries = new WeakSet<object>();

/** True for an entry returned by buildAuditEntry or buildIntentEntry (see builtEntries). */
export function isBuiltAuditEntry(entry: unknown): entry is AuditEntry {
  return typeof entry === "object" && entry !== null && builtEntries.has(entry);
}

function decidedCallFacts(parts: DecidedCallParts) {
  const { envelope, decision } = parts;
  const facts: Omit<IntentEntry, "kind"> = {
    call_id: envelope.call.id,
    time: new Date(envelope.context.time).toISOString(),
    subject: { id: envelope.subject.id },
    server: envelope.call.server,
    tool: parts.tool ?? envelope.call.tool ?? envelope.call.target.name,
    action: envelope.labels["mcp.action"],
    envelope_digest: parts.envelopeDigest,
    envelope: parts.maskedEnvelope ?? maskEnvelope(envelope, parts.maxArgumentBytes),
    decision: decision.decision,
    rules: decision.rules,
    reason: decision.reason,
    constraints: decision.constraints,
    matched: decision.matched,
    bundle: { hash: decision.bundle.hash, revision: decision.bundle.revision },
    decision_latency_us: Math.max(0, Math.round(parts.decisionLatencyUs)),
    extra: parts.extra ?? {},
  };
  if (envelope.context.request_id !== undefined) facts.request_id = envelope.context.request_id;
  if (envelope.subject.tenant !== undefined) facts.subject.tenant = envelope.subject.tenant;
  if (decision.fail_closed !== undefined) facts.fail_closed = decision.fail_closed;
  return facts;
}

/**
 * Builds the record of one call: what was decided and what happened. For a
 * dispatched call pass `intentSeq`, the seq its intent record got; calls
 * that never reached the upstream (blocked, pending, gateway errors) have no
 * intent. Absent optional facts are left out rather than set to undefined.
 */
export function buildAuditEntry(parts: AuditEntryParts): CallEntry {
  const entry: CallEntry = { kind: "call", ...decidedCallFacts(parts), outcome: parts.outcome };
  if (parts.intentSeq !== undefined) entry.intent_seq = parts.intentSeq;
  if (parts.error !== undefined) entry.error = maskText(parts.error).slice(0, MAX_ERROR_LENGTH);
  if (parts.upstreamLatencyMs !== undefined) entry.upstream_latency_ms = Math.max(0, parts.upstreamLatencyMs);
  builtEntries.add(entry);
  return entry;
}

/**
 * Builds the intent record of a call about to be dispatched: the same
 * decided facts a call record has, no outcome. Append it and await the
 * append before the upstream sees the call: then every dispatched call has
 * evidence even when the gateway dies before its outcome is recorded.
 */
export function buildIntentEntry(parts: IntentEntryParts): IntentEntry {
  const entry: IntentEntry = { kind: "intent", ...decidedCallFacts(parts) };
  builtEntries.add(entry);
  return entry;
}

/** Longest detail text kept. */
export const MAX_DETAIL_LENGTH = 500;

/**
 * Builds the record of an event that is not a call (an approval step, a
 * quarantine review step, a pin violation, an unknown server…): no envelope,
 * no decision. Detail strings are masked and clipped; undefined details are
 * left out. Validated by the store like any entry made elsewhere.
 */
export function buildEventEntry(parts: EventEntryParts): EventEntry {
  const details: EventEntry["details"] = {};
  for (const [key, value] of Object.entries(parts.details ?? {})) {
    if (value === undefined) continue;
    details[key] = typeof value === "string" ? maskText(value).slice(0, MAX_DETAIL_LENGTH) : value;
  }
  const entry: EventEntry = { kind: "event", event: parts.event, time: new Date(parts.time).toISOString(), details };
  if (parts.subject) entry.subject = parts.subject.tenant === undefined ? { id: parts.subject.id } : { id: parts.subject.id, tenant: parts.subject.tenant };
  if (parts.server !== undefined) entry.server = parts.server;
  if (parts.tool !== undefined) entry.tool = parts.tool;
  if (parts.bundle) entry.bundle = { hash: parts.bundle.hash, revision: parts.bundle.revision };
  if (parts.callId !== undefined) entry.call_id = parts.callId;
  if (parts.approvalId !== undefined) entry.approval_id = parts.approvalId;
  if (parts.quarantineId !== undefined) entry.quarantine_id = parts.quarantineId;
  return entry;
}
