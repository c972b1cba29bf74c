/** @module Builds the audit entry for one call, taking the envelope digest the core leaves to its callers. */
import { jsonDigest } from "../bundle/hash.js";
import { buildAuditEntry, type AuditEntry, type AuditEntryParts } from "../core/audit-record.js";

/** The entry the gateway appends: digest over the envelope as decided, envelope masked. */
export function auditEntryFor(parts: Omit<AuditEntryParts, "envelopeDigest">): AuditEntry {
  return buildAuditEntry({ ...parts, envelopeDigest: jsonDigest(parts.envelope) });
}
