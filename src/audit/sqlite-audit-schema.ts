/**
 * @module The SQLite layout of the audit store: tables, indexes, and the
 * mapping between a record and its row (one column per field, rules in
 * their own table).
 */
import type { AuditRecord } from "../core/audit-record.js";

export const SCHEMA_VERSION = 1;

export const SCHEMA = `
-- AUTOINCREMENT: an id is never reused, so rule rows left by a deleted record cannot attach to a new one.
CREATE TABLE IF NOT EXISTS audit_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  time TEXT NOT NULL,
  request_id TEXT,
  subject_id TEXT NOT NULL,
  subject_tenant TEXT,
  server TEXT NOT NULL,
  tool TEXT NOT NULL,
  action TEXT NOT NULL,
  envelope_digest TEXT NOT NULL,
  envelope TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  constraints TEXT NOT NULL,
  matched TEXT NOT NULL,
  bundle_hash TEXT NOT NULL,
  bundle_revision TEXT NOT NULL,
  fail_closed TEXT,
  outcome TEXT NOT NULL,
  error TEXT,
  decision_latency_us INTEGER NOT NULL,
  upstream_latency_ms REAL,
  extra TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_records_seq ON audit_records (seq);
CREATE INDEX IF NOT EXISTS audit_records_call_id ON audit_records (call_id);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
CREATE INDEX IF NOT EXISTS audit_records_server_tool ON audit_records (server, tool);
CREATE INDEX IF NOT EXISTS audit_records_decision ON audit_records (decision, action);
CREATE INDEX IF NOT EXISTS audit_records_approval ON audit_records (json_extract(extra, '$.approval_id'));
-- The rules that decided each call, so "which rule allowed this write" is an index lookup.
CREATE TABLE IF NOT EXISTS audit_rules (
  record_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  rule TEXT NOT NULL,
  PRIMARY KEY (record_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_rules_rule ON audit_rules (rule, record_id);
-- The head written with every append: the next record links to it, so a
-- cut-off tail shows as a gap instead of being papered over.
CREATE TABLE IF NOT EXISTS audit_head (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
`;

/** Selects whole records: every column plus the rules, in order, as a JSON array. */
export const SELECT = `SELECT r.*, (SELECT json_group_array(u.rule ORDER BY u.position) FROM audit_rules u WHERE u.record_id = r.id) AS rules
FROM audit_records r`;

export interface Row {
  id: number;
  seq: number;
  call_id: string;
  time: string;
  request_id: string | null;
  subject_id: string;
  subject_tenant: string | null;
  server: string;
  tool: string;
  action: string;
  envelope_digest: string;
  envelope: string;
  decision: string;
  rules: string;
  reason: string;
  constraints: string;
  matched: string;
  bundle_hash: string;
  bundle_revision: string;
  fail_closed: string | null;
  outcome: string;
  error: string | null;
  decision_latency_us: number;
  upstream_latency_ms: number | null;
  extra: string;
  prev_hash: string;
  hash: string;
}

/** A column that no longer parses stays as text: the record's hash then fails, which is the finding. */
function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Rebuilds a record from its columns, exactly as it was sealed when nothing was touched. */
export function toRecord(row: Row): AuditRecord {
  const record: Record<string, unknown> = {
    seq: row.seq,
    prev_hash: row.prev_hash,
    hash: row.hash,
    call_id: row.call_id,
    time: row.time,
    subject: row.subject_tenant === null ? { id: row.subject_id } : { id: row.subject_id, tenant: row.subject_tenant },
    server: row.server,
    tool: row.tool,
    action: row.action,
    envelope_digest: row.envelope_digest,
    envelope: json(row.envelope),
    decision: row.decision,
    rules: json(row.rules),
    reason: row.reason,
    constraints: json(row.constraints),
    matched: json(row.matched),
    bundle: { hash: row.bundle_hash, revision: row.bundle_revision },
    outcome: row.outcome,
    decision_latency_us: row.decision_latency_us,
    extra: json(row.extra),
  };
  if (row.request_id !== null) record["request_id"] = row.request_id;
  if (row.fail_closed !== null) record["fail_closed"] = row.fail_closed;
  if (row.error !== null) record["error"] = row.error;
  if (row.upstream_latency_ms !== null) record["upstream_latency_ms"] = row.upstream_latency_ms;
  return record as AuditRecord;
}

export function toColumns(r: AuditRecord) {
  return {
    seq: r.seq,
    call_id: r.call_id,
    time: r.time,
    request_id: r.request_id ?? null,
    subject_id: r.subject.id,
    subject_tenant: r.subject.tenant ?? null,
    server: r.server,
    tool: r.tool,
    action: r.action,
    envelope_digest: r.envelope_digest,
    envelope: JSON.stringify(r.envelope),
    decision: r.decision,
    reason: r.reason,
    constraints: JSON.stringify(r.constraints),
    matched: JSON.stringify(r.matched),
    bundle_hash: r.bundle.hash,
    bundle_revision: r.bundle.revision,
    fail_closed: r.fail_closed ?? null,
    outcome: r.outcome,
    error: r.error ?? null,
    decision_latency_us: r.decision_latency_us,
    upstream_latency_ms: r.upstream_latency_ms ?? null,
    extra: JSON.stringify(r.extra),
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}
