import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.js";
import { AuditEntrySchema, buildAuditEntry, buildEventEntry, buildIntentEntry, EventEntrySchema, IntentEntrySchema, isBuiltAuditEntry, maskEnvelope } from "./audit-record.js";
import type { Decision } from "./decision.js";
import { buildEnvelope, EnvelopeSchema } from "./envelope.js";
import { MASK } from "./secret-mask.js";

const digest = `sha256:${"a".repeat(64)}`;
const envelope = buildEnvelope({
  callId: "c-1",
  server: "github",
  tool: "create_issue",
  arguments: { title: "Rotate key", github_token: "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", body: "ping sk_live_51H8abcdefghijklmnop" },
  argumentsDigest: digest,
  action: "write",
  registry: { environment: "prod" },
  subject: { id: "agent-7", tenant: "acme" },
  time: "2026-04-01T11:30:00+02:00",
  requestId: "r-1",
});
const decision: Decision = {
  decision: "DENY",
  rules: ["mcpgov.fail-closed.evaluation_error"],
  reason: "policy evaluation failed",
  constraints: {},
  matched: [],
  bundle: { hash: `sha256:${"b".repeat(64)}`, revision: "r7" },
  fail_closed: "evaluation_error",
};

describe("maskEnvelope", () => {
  it("masks secrets, keeps the rest and the arguments digest, and stays a v1 envelope", () => {
    const before = canonicalJson(envelope);
    const masked = maskEnvelope(envelope);
    expect(masked.call.arguments).toEqual({ title: "Rotate key", github_token: MASK, body: `ping ${MASK}` });
    expect(masked.call.arguments_digest).toBe(digest);
    expect({ ...masked, call: { ...masked.call, arguments: envelope.call.arguments } }).toEqual(envelope);
    expect(EnvelopeSchema.parse(masked)).toEqual(masked);
    expect(canonicalJson(envelope)).toBe(before);
  });
});

describe("buildAuditEntry", () => {
  it("takes call facts from the envelope, time as UTC, and masks the error text", () => {
    const entry = buildAuditEntry({
      envelope,
      envelopeDigest: digest,
      decision,
      outcome: "blocked",
      error: "upstream said: Authorization: Bearer abc123def456ghi789",
      decisionLatencyUs: 41.6,
    });
    expect(entry).toMatchObject({
      call_id: "c-1",
      time: "2026-04-01T09:30:00.000Z",
      request_id: "r-1",
      subject: { id: "agent-7", tenant: "acme" },
      server: "github",
      tool: "create_issue",
      action: "write",
      envelope_digest: digest,
      decision: "DENY",
      fail_closed: "evaluation_error",
      outcome: "blocked",
      error: `upstream said: Authorization: ${MASK}`,
      decision_latency_us: 42,
      extra: {},
    });
    expect(entry).not.toHaveProperty("upstream_latency_ms");
    expect(AuditEntrySchema.parse(entry)).toEqual(entry);
  });

  // Stores skip validating a built entry; a copy (which a caller could have changed) is not one.
  it("marks what it built, and only that, as built", () => {
    const entry = buildAuditEntry({ envelope, envelopeDigest: digest, decision, outcome: "executed", decisionLatencyUs: 3, upstreamLatencyMs: 2.5, extra: { findings: { email: 1 } } });
    expect(AuditEntrySchema.parse(entry)).toEqual(entry);
    expect(isBuiltAuditEntry(entry)).toBe(true);
    expect(isBuiltAuditEntry({ ...entry })).toBe(false);
    expect(isBuiltAuditEntry(structuredClone(entry))).toBe(false);
    expect(isBuiltAuditEntry(undefined)).toBe(false);
  });
});

describe("buildAuditEntry and buildIntentEntry", () => {
  it("share the decided facts; the call adds kind, outcome and the intent's seq, the intent has no outcome", () => {
    const intent = buildIntentEntry({ envelope, envelopeDigest: digest, decision, decisionLatencyUs: 7 });
    const call = buildAuditEntry({ envelope, envelopeDigest: digest, decision, outcome: "failed", decisionLatencyUs: 7, intentSeq: 41 });
    expect(intent).toMatchObject({ kind: "intent", call_id: "c-1", decision: "DENY", envelope_digest: digest });
    expect(intent).not.toHaveProperty("outcome");
    expect(call).toMatchObject({ kind: "call", intent_seq: 41, outcome: "failed" });
    const { kind: _k, outcome: _o, intent_seq: _i, ...shared } = call;
    const { kind: _ik, ...intentShared } = intent;
    expect(shared).toEqual(intentShared);
    expect(IntentEntrySchema.parse(intent)).toEqual(intent);
    const reused = buildAuditEntry({ envelope, envelopeDigest: digest, decision, outcome: "failed", decisionLatencyUs: 7, intentSeq: 41, maskedEnvelope: intent.envelope });
    expect(reused).toEqual(call);
    expect(reused.envelope).toBe(intent.envelope);
    expect(isBuiltAuditEntry(intent)).toBe(true);
  });
});

describe("buildEventEntry", () => {
  it("keeps flat, masked details and the links, and no envelope or decision", () => {
    const event = buildEventEntry({
      event: "quarantine.released",
      time: "2026-04-01T11:30:00+02:00",
      subject: { id: "rita", tenant: undefined },
      server: "filesystem",
      callId: "c-1",
      quarantineId: "q-1",
      details: { reason: "Authorization: Bearer abc123def456ghi789", count: 2, gone: undefined },
    });
    expect(event).toEqual({
      kind: "event",
      event: "quarantine.released",
      time: "2026-04-01T09:30:00.000Z",
      subject: { id: "rita" },
      server: "filesystem",
      call_id: "c-1",
      quarantine_id: "q-1",
      details: { reason: `Authorization: ${MASK}`, count: 2 },
    });
    expect(EventEntrySchema.parse(event)).toEqual(event);
    expect(AuditEntrySchema.parse(event)).toEqual(event);
    expect(isBuiltAuditEntry(event)).toBe(false);
  });
});
