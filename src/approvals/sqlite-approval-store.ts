/**
 * @module SqliteApprovalStore: approval requests in `<data>/state.sqlite`.
 *
 * What never changes after creation (arguments, rules, envelope…) is one
 * JSON column; what transitions change has its own column, so every
 * transition is a single conditional UPDATE and SQLite picks the one winner.
 * The UPDATE and the read of its result share a transaction: a row edited
 * outside mcpgov into a shape that no longer parses rolls the transition
 * back, so it is reported and never acted on.
 */
import Database from "better-sqlite3";
import { ApprovalRequestSchema, type ApprovalRequest, type ApprovalState, type Approver } from "../core/approval.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { openStateDb, type StateDbOptions } from "../state/state-db.js";
import type { ApprovalQuery, ApprovalStore, Transition } from "./approval-store.js";
import type { GatewayPresence, Heartbeat } from "./heartbeat-store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  call_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  state TEXT NOT NULL,
  call_digest TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  bundle_hash TEXT NOT NULL,
  grp TEXT NOT NULL,
  body TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  decision_reason TEXT,
  used_by_call TEXT,
  used_at TEXT,
  void_reason TEXT
);
CREATE INDEX IF NOT EXISTS approvals_state ON approvals (state, grp);
CREATE INDEX IF NOT EXISTS approvals_digest ON approvals (call_digest, subject_id);
CREATE INDEX IF NOT EXISTS approvals_created ON approvals (created_at);
CREATE TABLE IF NOT EXISTS gateway_heartbeats (
  gateway_id TEXT PRIMARY KEY,
  bundle_hash TEXT NOT NULL,
  bundle_revision TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
`;

/** A stored request; the PostgreSQL store reads the same columns. */
export interface Row {
  id: string;
  call_id: string;
  created_at: string;
  expires_at: string;
  state: string;
  call_digest: string;
  subject_id: string;
  bundle_hash: string;
  grp: string;
  body: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  used_by_call: string | null;
  used_at: string | null;
  void_reason: string | null;
}

export const IMMUTABLE = ["server", "tool", "arguments", "subject", "bundle", "rules", "reason", "constraints", "envelope"] as const;

export function toRequest(row: Row): ApprovalRequest {
  const body = JSON.parse(row.body) as Record<string, unknown>;
  const candidate = {
    ...body,
    id: row.id,
    call_id: row.call_id,
    created_at: row.created_at,
    expires_at: row.expires_at,
    state: row.state,
    call_digest: row.call_digest,
    group: row.grp,
    ...(row.decided_by ? { decided_by: JSON.parse(row.decided_by) as Approver } : {}),
    ...(row.decided_at ? { decided_at: row.decided_at } : {}),
    ...(row.decision_reason !== null ? { decision_reason: row.decision_reason } : {}),
    ...(row.used_by_call ? { used_by_call: row.used_by_call } : {}),
    ...(row.used_at ? { used_at: row.used_at } : {}),
    ...(row.void_reason !== null ? { void_reason: row.void_reason } : {}),
  };
  const parsed = ApprovalRequestSchema.safeParse(candidate);
  // A row that no longer parses was edited outside mcpgov: never act on it.
  if (!parsed.success) throw new McpgovError("io_error", `approval store: request ${row.id} is malformed: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export class SqliteApprovalStore implements ApprovalStore {
  private constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  static open(dataDir: string, options: StateDbOptions = {}): SqliteApprovalStore {
    return new SqliteApprovalStore(openStateDb(dataDir, options));
  }

  /**
   * Writes take the write lock up front (BEGIN IMMEDIATE): a transaction
   * that reads first and writes later can fail at once with SQLITE_BUSY when
   * another connection wrote in between, instead of waiting its turn.
   */
  private run<T>(what: string, fn: () => T, mode: "read" | "write" = "read"): T {
    try {
      const transaction = this.db.transaction(fn);
      return mode === "write" ? transaction.immediate() : transaction();
    } catch (cause) {
      if (cause instanceof McpgovError) throw cause;
      throw new McpgovError("io_error", `approval store: ${what}: ${describeThrown(cause)}`, { cause });
    }
  }

  private row(id: string): Row | undefined {
    return this.db.prepare<[string], Row>("SELECT * FROM approvals WHERE id = ?").get(id);
  }

  /** After a conditional UPDATE: the winner gets the new row, a loser learns why. */
  private outcome(id: string, changes: number): Transition {
    const row = this.row(id);
    if (!row) return { ok: false, reason: "not_found" };
    return changes === 1 ? { ok: true, request: toRequest(row) } : { ok: false, reason: "wrong_state", request: toRequest(row) };
  }

  async create(request: ApprovalRequest): Promise<ApprovalRequest> {
    const parsed = ApprovalRequestSchema.safeParse(request);
    if (!parsed.success) throw new McpgovError("input_invalid", `approval request: ${describeIssues(parsed.error)}`);
    const valid = parsed.data;
    const body = Object.fromEntries(IMMUTABLE.map((key) => [key, valid[key]]));
    return this.run("create", () => {
      this.db
        .prepare(
          `INSERT INTO approvals (id, call_id, created_at, expires_at, state, call_digest, subject_id, bundle_hash, grp, body)
           VALUES (@id, @call_id, @created_at, @expires_at, @state, @call_digest, @subject_id, @bundle_hash, @grp, @body)`,
        )
        .run({
          id: valid.id,
          call_id: valid.call_id,
          created_at: valid.created_at,
          expires_at: valid.expires_at,
          state: valid.state,
          call_digest: valid.call_digest,
          subject_id: valid.subject.id,
          bundle_hash: valid.bundle.hash,
          grp: valid.group,
          body: JSON.stringify(body),
        });
      return toRequest(this.row(valid.id)!);
    }, "write");
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    return this.run("get", () => {
      const row = this.row(id);
      return row ? toRequest(row) : undefined;
    });
  }

  async list(query: ApprovalQuery = {}): Promise<ApprovalRequest[]> {
    const where: string[] = [];
    const limit = query.limit ?? 200;
    // SQLite reads a negative LIMIT as none at all.
    if (!Number.isInteger(limit) || limit < 1) throw new McpgovError("input_invalid", "approval list: limit must be a positive integer");
    const params: Record<string, string | number> = { limit };
    const equal = { state: query.state, grp: query.group, subject_id: query.subjectId, call_digest: query.callDigest };
    for (const [column, value] of Object.entries(equal)) {
      if (value === undefined) continue;
      where.push(`${column} = @${column}`);
      params[column] = value;
    }
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, rowid DESC LIMIT @limit`;
    return this.run("list", () => this.db.prepare<[Record<string, string | number>], Row>(sql).all(params).map(toRequest));
  }

  async decide(id: string, outcome: { state: "approved" | "denied"; by: Approver; reason: string; at: string }): Promise<Transition> {
    return this.run("decide", () => {
      const { changes } = this.db
        .prepare(
          `UPDATE approvals SET state = @state, decided_by = @by, decided_at = @at, decision_reason = @reason
           WHERE id = @id AND state = 'pending' AND expires_at > @at`,
        )
        .run({ id, state: outcome.state, by: JSON.stringify(outcome.by), at: outcome.at, reason: outcome.reason });
      return this.outcome(id, changes);
    }, "write");
  }

  async consume(id: string, use: { callId: string; subjectId: string; bundleHash: string; at: string }): Promise<Transition> {
    return this.run("consume", () => {
      const { changes } = this.db
        .prepare(
          `UPDATE approvals SET state = 'used', used_by_call = @call, used_at = @at
           WHERE id = @id AND state = 'approved' AND subject_id = @subject AND bundle_hash = @bundle AND expires_at > @at`,
        )
        .run({ id, call: use.callId, at: use.at, subject: use.subjectId, bundle: use.bundleHash });
      return this.outcome(id, changes);
    }, "write");
  }

  async voidRequest(id: string, reason: string): Promise<Transition> {
    return this.run("void", () => {
      const { changes } = this.db
        .prepare("UPDATE approvals SET state = 'void', void_reason = @reason WHERE id = @id AND state IN ('pending', 'approved')")
        .run({ id, reason });
      return this.outcome(id, changes);
    }, "write");
  }

  async expireDue(now: string): Promise<ApprovalRequest[]> {
    return this.run("expire", () => {
      const due = this.db.prepare<[string], Row>("SELECT * FROM approvals WHERE state IN ('pending', 'approved') AND expires_at <= ?").all(now);
      const update = this.db.prepare("UPDATE approvals SET state = 'expired' WHERE id = ? AND state IN ('pending', 'approved')");
      return due.filter((row) => update.run(row.id).changes === 1).map((row) => toRequest({ ...row, state: "expired" }));
    }, "write");
  }

  async boundToOtherBundles(activeHash: string): Promise<ApprovalRequest[]> {
    return this.run("list by bundle", () =>
      this.db.prepare<[string], Row>("SELECT * FROM approvals WHERE state IN ('pending', 'approved') AND bundle_hash <> ?").all(activeHash).map(toRequest),
    );
  }

  /** Gateways sharing a data folder run on one host, so their clocks agree. */
  async beat(heartbeat: Heartbeat): Promise<void> {
    this.run("heartbeat", () => {
      this.db
        .prepare(
          `INSERT INTO gateway_heartbeats (gateway_id, bundle_hash, bundle_revision, last_seen) VALUES (@id, @hash, @revision, @at)
           ON CONFLICT (gateway_id) DO UPDATE SET bundle_hash = excluded.bundle_hash, bundle_revision = excluded.bundle_revision, last_seen = excluded.last_seen`,
        )
        .run({ id: heartbeat.gatewayId, hash: heartbeat.bundle.hash, revision: heartbeat.bundle.revision, at: heartbeat.at });
      this.db.prepare("DELETE FROM gateway_heartbeats WHERE last_seen < ?").run(new Date(Date.parse(heartbeat.at) - 86_400_000).toISOString());
    }, "write");
  }

  async bundlesInUse(window: { freshMs: number; now: string }): Promise<Set<string>> {
    const since = new Date(Date.parse(window.now) - window.freshMs).toISOString();
    const rows = this.run("bundles in use", () => this.db.prepare<[string], { bundle_hash: string }>("SELECT DISTINCT bundle_hash FROM gateway_heartbeats WHERE last_seen > ?").all(since));
    return new Set(rows.map((r) => r.bundle_hash));
  }

  async gateways(): Promise<GatewayPresence[]> {
    return this.run("gateways", () => this.db.prepare<[], GatewayPresence>("SELECT gateway_id, bundle_hash, bundle_revision, last_seen FROM gateway_heartbeats ORDER BY last_seen DESC, gateway_id").all());
  }

  async leave(gatewayId: string): Promise<void> {
    this.run("leave", () => this.db.prepare("DELETE FROM gateway_heartbeats WHERE gateway_id = ?").run(gatewayId), "write");
  }

  async countByState(): Promise<Record<ApprovalState, number>> {
    const counts: Record<ApprovalState, number> = { pending: 0, approved: 0, denied: 0, expired: 0, used: 0, void: 0 };
    const rows = this.run("count", () => this.db.prepare<[], { state: ApprovalState; n: number }>("SELECT state, COUNT(*) AS n FROM approvals GROUP BY state").all());
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
