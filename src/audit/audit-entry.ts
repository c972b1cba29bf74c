/** @module Builds the audit entries of one call, taking the envelope digest the core leaves to its callers. */
import { jsonDigest } from "../bundle/hash.js";
import { buildAuditEntry, buildIntentEntry, type AuditEntryParts, type CallEntry, type IntentEntry, type IntentEntryParts } from "../core/audit-record.js";

/** The call (outcome) entry the gateway appends: digest over the envelope as decided, envelope masked. */
export function auditEntryFor(parts: Omit<AuditEntryParts, "envelopeDigest">): CallEntry {
  return buildAuditEntry({ ...parts, envelopeDigest: jsonDigest(parts.envelope) });
}

/** The intent entry appended (and awaited) before a call is dispatched. */
export function intentEntryFor(parts: Omit<IntentEntryParts, "envelopeDigest">): IntentEntry {
  return buildIntentEntry({ ...parts, envelopeDigest: jsonDigest(parts.envelope) });
}
