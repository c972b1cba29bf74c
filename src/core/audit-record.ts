/**
 * @module The audit record: what every governed call leaves behind before
 * its response is returned, and the link that chains it to the record
 * before it.
 *
 * An *entry* is what the gateway hands the store; the store seals it into a
 * *record* by adding `seq`, `prev_hash` and `hash` (see src/audit/hash-chain.ts).
 */
import { z } from "zod";
import { DecisionSchema, type Decision } from "./decision.js";
import { ActionSchema, EnvelopeSchema, type Envelope } from "./envelope.js";
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
  })
  .catchall(z.unknown())
  .describe("Facts later stages add (approvals, output inspection); part of the sealed content.");
export type AuditExtra = z.infer<typeof AuditExtraSchema>;

/** Longest error text kept; an upstream may answer with megabytes. */
export const MAX_ERROR_LENGTH = 2_000;

export const AuditEntrySchema = z
  .object({
    call_id: z.string().min(1),
    // UTC with milliseconds, so that text order is time order for range queries.
    time: z.iso.datetime({ precision: 3 }).describe("Request time from the envelope context, as UTC with milliseconds."),
    request_id: z.string().min(1).optional(),
    subject: z.object({ id: z.string().min(1), tenant: z.string().optional() }).strict(),
    server: z.string().min(1),
    tool: z.string().min(1),
    action: ActionSchema,
    envelope_digest: Digest.describe("sha256 over the canonical JSON of the envelope as decided, before masking."),
    envelope: EnvelopeSchema.describe("The envelope with secrets masked."),
    ...DecisionSchema.shape,
    outcome: OutcomeSchema,
    error: z.string().max(MAX_ERROR_LENGTH).optional().describe("Error text, secrets masked."),
    decision_latency_us: z.number().int().nonnegative(),
    upstream_latency_ms: z.number().nonnegative().optional(),
    extra: AuditExtraSchema.default({}),
  })
  .strict()
  .describe("mcpgov audit entry (unsealed)");
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditEntryInput = z.input<typeof AuditEntrySchema>;

export const AuditRecordSchema = AuditEntrySchema.extend({
  seq: z.number().int().positive().describe("Position in the chain, from 1, without gaps."),
  prev_hash: Digest.describe("hash of the previous record; GENESIS_HASH for seq 1."),
  hash: Digest.describe("sha256 over the canonical JSON of this record without `hash`."),
}).describe("mcpgov audit record (sealed)");
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

export interface AuditEntryParts {
  /** The envelope as decided (unmasked); it is masked here. */
  envelope: Envelope;
  /** sha256 of canonicalJson(envelope), computed by the caller (the core does no hashing). */
  envelopeDigest: string;
  decision: Decision;
  outcome: Outcome;
  error?: string;
  decisionLatencyUs: number;
  upstreamLatencyMs?: number;
  extra?: AuditExtra;
}

/**
 * The envelope as it may be stored: secrets masked, `arguments_digest`
 * untouched (it is a hash, and it binds the record to the real arguments).
 */
export function maskEnvelope(envelope: Envelope): Envelope {
  const masked = maskSecrets(envelope);
  return { ...masked, call: { ...masked.call, arguments_digest: envelope.call.arguments_digest } };
}

/**
 * Entries made by buildAuditEntry. Every field of one comes from typed
 * parts that were validated where they entered (the envelope by
 * buildEnvelope or EnvelopeSchema, the decision by the engine's result
 * schema, stored rows by their schemas) or is computed here in a form the
 * schema accepts (ISO time, rounded non-negative latencies, a clipped
 * error). A store may take such an entry as valid instead of parsing the
 * whole envelope again; any other object it validates. An entry changed
 * after it was built is the caller's bug: callers hand it on untouched.
 */
const builtEntries = new WeakSet<object>();

/** True for an entry returned by buildAuditEntry (see builtEntries). */
export function isBuiltAuditEntry(entry: unknown): entry is AuditEntry {
  return typeof entry === "object" && entry !== null && builtEntries.has(entry);
}

/** Builds the entry for one call. Absent optional facts are left out rather than set to undefined. */
export function buildAuditEntry(parts: AuditEntryParts): AuditEntry {
  const { envelope, decision } = parts;
  const entry: AuditEntry = {
    call_id: envelope.call.id,
    time: new Date(envelope.context.time).toISOString(),
    subject: { id: envelope.subject.id },
    server: envelope.call.server,
    tool: envelope.call.tool ?? envelope.call.target.name,
    action: envelope.labels["mcp.action"],
    envelope_digest: parts.envelopeDigest,
    envelope: maskEnvelope(envelope),
    decision: decision.decision,
    rules: decision.rules,
    reason: decision.reason,
    constraints: decision.constraints,
    matched: decision.matched,
    bundle: { hash: decision.bundle.hash, revision: decision.bundle.revision },
    outcome: parts.outcome,
    decision_latency_us: Math.max(0, Math.round(parts.decisionLatencyUs)),
    extra: parts.extra ?? {},
  };
  if (envelope.context.request_id !== undefined) entry.request_id = envelope.context.request_id;
  if (envelope.subject.tenant !== undefined) entry.subject.tenant = envelope.subject.tenant;
  if (decision.fail_closed !== undefined) entry.fail_closed = decision.fail_closed;
  if (parts.error !== undefined) entry.error = maskText(parts.error).slice(0, MAX_ERROR_LENGTH);
  if (parts.upstreamLatencyMs !== undefined) entry.upstream_latency_ms = Math.max(0, parts.upstreamLatencyMs);
  builtEntries.add(entry);
  return entry;
}
