/**
 * @module A version 1 audit store (before record kinds), written the way
 * mcpgov wrote it then: the v1 schema and column mapping, copied from the
 * commit before schema v2. Tests migrate it and check the old chain still
 * verifies byte for byte.
 */
import Database from "better-sqlite3";
import { sealRecord, type ChainHead } from "../../src/audit/hash-chain.js";
import type { CallEntry, CallRecord } from "../../src/core/audit-record.js";

/** The v1 schema, as released. */
export const V1_SCHEMA = `
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

/** A call entry as v1 sealed it: no `kind` field. */
export function v1Entry(entry: CallEntry): CallEntry {
  const { kind: _kind, ...rest } = entry;
  return rest;
}

/** Writes a v1 database holding these entries sealed into a chain; returns the records as sealed. */
export function writeV1Store(file: string, entries: readonly CallEntry[]): CallRecord[] {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.exec(V1_SCHEMA);
    db.pragma("user_version = 1");
    const insert = db.prepare(
      `INSERT INTO audit_records (seq, call_id, time, request_id, subject_id, subject_tenant, server, tool, action, envelope_digest, envelope,
         decision, reason, constraints, matched, bundle_hash, bundle_revision, fail_closed, outcome, error, decision_latency_us,
         upstream_latency_ms, extra, prev_hash, hash)
       VALUES (@seq, @call_id, @time, @request_id, @subject_id, @subject_tenant, @server, @tool, @action, @envelope_digest, @envelope,
         @decision, @reason, @constraints, @matched, @bundle_hash, @bundle_revision, @fail_closed, @outcome, @error, @decision_latency_us,
         @upstream_latency_ms, @extra, @prev_hash, @hash)`,
    );
    const insertRule = db.prepare("INSERT INTO audit_rules (record_id, position, rule) VALUES (?, ?, ?)");
    const records: CallRecord[] = [];
    let head: ChainHead | undefined;
    for (const entry of entries) {
      const r = sealRecord(JSON.parse(JSON.stringify(v1Entry(entry))) as CallEntry, head) as CallRecord;
      const { lastInsertRowid } = insert.run({
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
      });
      r.rules.forEach((rule, position) => insertRule.run(lastInsertRowid, position, rule));
      head = r;
      records.push(r);
    }
    if (head) db.prepare("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?)").run(head.seq, head.hash);
    return records;
  } finally {
    db.close();
  }
}
