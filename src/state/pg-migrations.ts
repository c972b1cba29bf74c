/**
 * @module The PostgreSQL schema of the state stores, as numbered
 * migrations (applied in order by pg-db.ts, recorded in
 * `schema_migrations`). Never edit a released migration: add the next one.
 *
 * Columns mirror the SQLite stores, so rows map to the same records. Times
 * are text with COLLATE "C": UTC RFC 3339 with milliseconds compares as time.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "approvals",
    sql: `
CREATE TABLE approvals (
  n bigserial NOT NULL,
  id text PRIMARY KEY,
  call_id text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  state text NOT NULL,
  call_digest text NOT NULL,
  subject_id text NOT NULL,
  bundle_hash text NOT NULL,
  grp text NOT NULL,
  body text NOT NULL,
  decided_by text,
  decided_at text COLLATE "C",
  decision_reason text,
  used_by_call text,
  used_at text COLLATE "C",
  void_reason text
);
CREATE INDEX approvals_state ON approvals (state, grp);
CREATE INDEX approvals_digest ON approvals (call_digest, subject_id);
CREATE INDEX approvals_created ON approvals (created_at, n);
`,
  },
  {
    version: 2,
    name: "quarantine",
    sql: `
CREATE TABLE quarantine (
  id text PRIMARY KEY,
  call_id text NOT NULL,
  time text COLLATE "C" NOT NULL,
  subject_id text NOT NULL,
  subject_tenant text,
  server text NOT NULL,
  tool text NOT NULL,
  rules text NOT NULL,
  reason text NOT NULL,
  bundle_hash text NOT NULL,
  bundle_revision text NOT NULL,
  findings text NOT NULL,
  size_bytes bigint NOT NULL,
  result_json text,
  state text NOT NULL CHECK (state IN ('held', 'released', 'discarded')),
  reviewer text,
  review_reason text,
  reviewed_at text COLLATE "C",
  CHECK ((state = 'held') = (reviewer IS NULL)),
  CHECK (state <> 'discarded' OR result_json IS NULL)
);
CREATE INDEX quarantine_state_time ON quarantine (state, time);
CREATE INDEX quarantine_call_id ON quarantine (call_id);
`,
  },
  {
    version: 3,
    name: "audit",
    sql: `
CREATE TABLE audit_records (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL,
  kind text,
  event text,
  call_id text,
  time text COLLATE "C" NOT NULL,
  request_id text,
  subject_id text,
  subject_tenant text,
  server text,
  tool text,
  action text,
  envelope_digest text,
  envelope text,
  decision text,
  rules text[],
  reason text,
  constraints text,
  matched text,
  bundle_hash text,
  bundle_revision text,
  fail_closed text,
  intent_seq bigint,
  outcome text,
  error text,
  decision_latency_us bigint,
  upstream_latency_ms double precision,
  extra text,
  details text,
  approval_id text,
  quarantine_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  -- Copied from extra at append (not part of the record), so approval and quarantine lookups are index scans.
  extra_approval_id text,
  extra_quarantine_id text
);
CREATE UNIQUE INDEX audit_records_seq ON audit_records (seq);
CREATE INDEX audit_records_call_id ON audit_records (call_id, kind);
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_server_tool ON audit_records (server, tool);
CREATE INDEX audit_records_decision ON audit_records (decision, action);
CREATE INDEX audit_records_rules ON audit_records USING gin (rules);
CREATE INDEX audit_records_approval ON audit_records (extra_approval_id) WHERE extra_approval_id IS NOT NULL;
CREATE INDEX audit_records_quarantine ON audit_records (extra_quarantine_id) WHERE extra_quarantine_id IS NOT NULL;
CREATE INDEX audit_records_event_approval ON audit_records (approval_id) WHERE approval_id IS NOT NULL;
CREATE INDEX audit_records_event_quarantine ON audit_records (quarantine_id) WHERE quarantine_id IS NOT NULL;
CREATE INDEX audit_records_intents ON audit_records (call_id) WHERE kind = 'intent';
-- The chain head: every append locks this row (SELECT … FOR UPDATE), so
-- appends from every gateway on this database form one linear chain.
-- seq 0 is the empty chain.
CREATE TABLE audit_head (
  one integer PRIMARY KEY CHECK (one = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (one, seq, hash) VALUES (1, 0, '');
`,
  },
  {
    version: 4,
    name: "gateway heartbeats",
    // One row per gateway: the bundle it runs, as of the database's clock
    // (so gateways on hosts with skewed clocks agree on what is fresh).
    sql: `
CREATE TABLE gateway_heartbeats (
  gateway_id text PRIMARY KEY,
  bundle_hash text NOT NULL,
  bundle_revision text NOT NULL,
  last_seen timestamptz NOT NULL
);
CREATE INDEX gateway_heartbeats_seen ON gateway_heartbeats (last_seen);
`,
  },
];
