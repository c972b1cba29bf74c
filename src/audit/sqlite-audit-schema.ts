/**
 * @module The SQLite layout of the audit store: tables, indexes, and the
 * mapping between a record and its row (one column per field, rules in
 * their own table).
 */
import type { AuditRecord, AuditRecordKind, CallRecord, EventRecord } from "../core/audit-record.js";

export const SCHEMA_VERSION = 2;

/**
 * Version 2: three record kinds in one table. Columns a kind lacks are NULL
 * (so only seq, time and the seal are NOT NULL), and a record is rebuilt
 * from exactly its non-NULL columns: filling a NULL column of a stored
 * record adds a field, which breaks its hash like any other edit.
 */
const RECORDS_TABLE = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL,
  kind TEXT,
  event TEXT,
  call_id TEXT,
  time TEXT NOT NULL,
  request_id TEXT,
  subject_id TEXT,
  subject_tenant TEXT,
  server TEXT,
  tool TEXT,
  action TEXT,
  envelope_digest TEXT,
  envelope TEXT,
  decision TEXT,
  reason TEXT,
  constraints TEXT,
  matched TEXT,
  bundle_hash TEXT,
  bundle_revision TEXT,
  fail_closed TEXT,
  intent_seq INTEGER,
  outcome TEXT,
  error TEXT,
  decision_latency_us INTEGER,
  upstream_latency_ms REAL,
  extra TEXT,
  details TEXT,
  approval_id TEXT,
  quarantine_id TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);`;

const INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS audit_records_seq ON audit_records (seq);
CREATE INDEX IF NOT EXISTS audit_records_call_id ON audit_records (call_id, kind);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
CREATE INDEX IF NOT EXISTS audit_records_server_tool ON audit_records (server, tool);
CREATE INDEX IF NOT EXISTS audit_records_decision ON audit_records (decision, action);
CREATE INDEX IF NOT EXISTS audit_records_approval ON audit_records (json_extract(extra, '$.approval_id'));
CREATE INDEX IF NOT EXISTS audit_records_event_approval ON audit_records (approval_id) WHERE approval_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_records_event_quarantine ON audit_records (quarantine_id) WHERE quarantine_id IS NOT NULL;
-- Intents, for "which dispatched calls have no outcome" (an intent without a call record of the same call_id).
CREATE INDEX IF NOT EXISTS audit_records_intents ON audit_records (call_id) WHERE kind = 'intent';
`;

const SIDE_TABLES = `
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

/** A new database. */
export const SCHEMA = `${RECORDS_TABLE("audit_records")}\n${INDEXES}\n${SIDE_TABLES}`;

const V1_COLUMNS = `id, seq, call_id, time, request_id, subject_id, subject_tenant, server, tool, action, envelope_digest, envelope,
  decision, reason, constraints, matched, bundle_hash, bundle_revision, fail_closed, outcome, error, decision_latency_us,
  upstream_latency_ms, extra, prev_hash, hash`;

/**
 * Version 1 to 2: SQLite cannot drop NOT NULL in place, so the records
 * table is rebuilt with the same ids (rule rows keep their records) and
 * every v1 value; v1 records are all calls (kind stays NULL, so each
 * rebuilds exactly as it was sealed). The id sequence is
 * carried over so an id is still never reused.
 */
export const MIGRATE_V1_TO_V2 = `${RECORDS_TABLE("audit_records_v2")}
INSERT INTO audit_records_v2 (${V1_COLUMNS}) SELECT ${V1_COLUMNS} FROM audit_records ORDER BY id;
CREATE TEMP TABLE audit_sequence_v1 AS SELECT seq FROM sqlite_sequence WHERE name = 'audit_records';
DROP TABLE audit_records;
ALTER TABLE audit_records_v2 RENAME TO audit_records;
DELETE FROM sqlite_sequence WHERE name IN ('audit_records', 'audit_records_v2');
INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_records', seq FROM audit_sequence_v1;
DROP TABLE audit_sequence_v1;
${INDEXES}
`;

/** Selects whole records: every column plus the rules, in order, as a JSON array. */
export const SELECT = `SELECT r.*, (SELECT json_group_array(u.rule ORDER BY u.position) FROM audit_rules u WHERE u.record_id = r.id) AS rules
FROM audit_records r`;

export interface Row {
  id: number;
  seq: number;
  kind: string | null;
  event: string | null;
  call_id: string | null;
  time: string;
  request_id: string | null;
  subject_id: string | null;
  subject_tenant: string | null;
  server: string | null;
  tool: string | null;
  action: string | null;
  envelope_digest: string | null;
  envelope: string | null;
  decision: string | null;
  rules: string;
  reason: string | null;
  constraints: string | null;
  matched: string | null;
  bundle_hash: string | null;
  bundle_revision: string | null;
  fail_closed: string | null;
  intent_seq: number | null;
  outcome: string | null;
  error: string | null;
  decision_latency_us: number | null;
  upstream_latency_ms: number | null;
  extra: string | null;
  details: string | null;
  approval_id: string | null;
  quarantine_id: string | null;
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

/**
 * Rebuilds a record from its non-NULL columns, exactly as it was sealed
 * when nothing was touched. Rules belong to records with a decision (calls
 * and intents); events have neither.
 */
export function toRecord(row: Row): AuditRecord {
  const record: Record<string, unknown> = { seq: row.seq, prev_hash: row.prev_hash, hash: row.hash };
  const put = (key: string, value: unknown) => {
    if (value !== null) record[key] = value;
  };
  const putJson = (key: string, text: string | null) => {
    if (text !== null) record[key] = json(text);
  };
  put("kind", row.kind);
  put("event", row.event);
  put("call_id", row.call_id);
  put("time", row.time);
  put("request_id", row.request_id);
  if (row.subject_id !== null) record["subject"] = row.subject_tenant === null ? { id: row.subject_id } : { id: row.subject_id, tenant: row.subject_tenant };
  put("server", row.server);
  put("tool", row.tool);
  put("action", row.action);
  put("envelope_digest", row.envelope_digest);
  putJson("envelope", row.envelope);
  put("decision", row.decision);
  if (row.decision !== null) record["rules"] = json(row.rules);
  put("reason", row.reason);
  putJson("constraints", row.constraints);
  putJson("matched", row.matched);
  if (row.bundle_hash !== null || row.bundle_revision !== null) record["bundle"] = { hash: row.bundle_hash, revision: row.bundle_revision };
  put("fail_closed", row.fail_closed);
  put("intent_seq", row.intent_seq);
  put("outcome", row.outcome);
  put("error", row.error);
  put("decision_latency_us", row.decision_latency_us);
  put("upstream_latency_ms", row.upstream_latency_ms);
  putJson("extra", row.extra);
  putJson("details", row.details);
  put("approval_id", row.approval_id);
  put("quarantine_id", row.quarantine_id);
  return record as AuditRecord;
}

/** The columns an append writes, in toColumns' order. */
export const RECORD_COLUMNS = [
  "seq", "kind", "event", "call_id", "time", "request_id", "subject_id", "subject_tenant", "server", "tool", "action",
  "envelope_digest", "envelope", "decision", "reason", "constraints", "matched", "bundle_hash", "bundle_revision", "fail_closed",
  "intent_seq", "outcome", "error", "decision_latency_us", "upstream_latency_ms", "extra", "details", "approval_id", "quarantine_id",
  "prev_hash", "hash",
] as const;

/** Any field of any kind, for mapping to columns (absent fields become NULL). */
type AnyRecord = Partial<Omit<CallRecord, "kind">> &
  Partial<Omit<EventRecord, "kind">> & { kind?: AuditRecordKind; seq: number; time: string; prev_hash: string; hash: string };

const text = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export function toColumns(record: AuditRecord) {
  const r = record as AnyRecord;
  return {
    seq: r.seq,
    kind: r.kind ?? null,
    event: r.event ?? null,
    call_id: r.call_id ?? null,
    time: r.time,
    request_id: r.request_id ?? null,
    subject_id: r.subject?.id ?? null,
    subject_tenant: r.subject?.tenant ?? null,
    server: r.server ?? null,
    tool: r.tool ?? null,
    action: r.action ?? null,
    envelope_digest: r.envelope_digest ?? null,
    envelope: text(r.envelope),
    decision: r.decision ?? null,
    reason: r.reason ?? null,
    constraints: text(r.constraints),
    matched: text(r.matched),
    bundle_hash: r.bundle?.hash ?? null,
    bundle_revision: r.bundle?.revision ?? null,
    fail_closed: r.fail_closed ?? null,
    intent_seq: r.intent_seq ?? null,
    outcome: r.outcome ?? null,
    error: r.error ?? null,
    decision_latency_us: r.decision_latency_us ?? null,
    upstream_latency_ms: r.upstream_latency_ms ?? null,
    extra: text(r.extra),
    details: text(r.details),
    approval_id: r.approval_id ?? null,
    quarantine_id: r.quarantine_id ?? null,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}
