import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.js";
import { AuditEntrySchema, buildAuditEntry, isBuiltAuditEntry, maskEnvelope } from "./audit-record.js";
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
