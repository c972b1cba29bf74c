/**
 * @module SqliteQuarantineStore: the `quarantine` table of the gateway's
 * state database (src/state/state-db.ts, whose design this follows:
 * compare-and-set transitions, commits fsynced before they are reported,
 * a file only its owner can read).
 *
 * A discard must not leave the secret behind in free pages or the WAL:
 * the connection runs with `secure_delete` (freed pages are zeroed), and
 * a discard checkpoints and truncates the WAL afterwards.
 */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { openStateDb, type StateDbOptions } from "../state/state-db.js";
import {
  NewQuarantineItemSchema,
  type NewQuarantineItem,
  type QuarantineItem,
  type QuarantineListFilter,
  type QuarantineState,
  type QuarantineStore,
  type Review,
  type TransitionResult,
} from "./quarantine-store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS quarantine (
  id TEXT PRIMARY KEY,
  call_id TEXT NOT NULL,
  time TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_tenant TEXT,
  server TEXT NOT NULL,
  tool TEXT NOT NULL,
  rules TEXT NOT NULL,
  reason TEXT NOT NULL,
  bundle_hash TEXT NOT NULL,
  bundle_revision TEXT NOT NULL,
  findings TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  result_json TEXT,
  state TEXT NOT NULL CHECK (state IN ('held', 'released', 'discarded')),
  reviewer TEXT,
  review_reason TEXT,
  reviewed_at TEXT,
  CHECK ((state = 'held') = (reviewer IS NULL)),
  CHECK (state <> 'discarded' OR result_json IS NULL)
);
CREATE INDEX IF NOT EXISTS quarantine_state_time ON quarantine (state, time);
CREATE INDEX IF NOT EXISTS quarantine_call_id ON quarantine (call_id);
`;

/** A stored item's metadata; the PostgreSQL store reads the same columns. */
export interface Row {
  id: string;
  call_id: string;
  time: string;
  subject_id: string;
  subject_tenant: string | null;
  server: string;
  tool: string;
  rules: string;
  reason: string;
  bundle_hash: string;
  bundle_revision: string;
  findings: string;
  size_bytes: number;
  has_content: number;
  state: QuarantineState;
  reviewer: string | null;
  review_reason: string | null;
  reviewed_at: string | null;
}

/** Every column but the content, plus whether it is still there. */
export const META = `id, call_id, time, subject_id, subject_tenant, server, tool, rules, reason, bundle_hash, bundle_revision,
  findings, size_bytes, result_json IS NOT NULL AS has_content, state, reviewer, review_reason, reviewed_at`;

export function toItem(row: Row): QuarantineItem {
  return {
    id: row.id,
    call_id: row.call_id,
    time: row.time,
    subject: { id: row.subject_id, ...(row.subject_tenant !== null ? { tenant: row.subject_tenant } : {}) },
    server: row.server,
    tool: row.tool,
    rules: JSON.parse(row.rules) as string[],
    reason: row.reason,
    bundle: { hash: row.bundle_hash, revision: row.bundle_revision },
    findings: JSON.parse(row.findings) as Record<string, number>,
    size_bytes: row.size_bytes,
    state: row.state,
    content_kept: row.has_content === 1,
    ...(row.reviewer !== null ? { reviewer: row.reviewer } : {}),
    ...(row.review_reason !== null ? { review_reason: row.review_reason } : {}),
    ...(row.reviewed_at !== null ? { reviewed_at: row.reviewed_at } : {}),
  };
}

function storeError(what: string, cause: unknown): McpgovError {
  // SQLite's messages name constraints and files, never bound values: no content leaks through here.
  return new McpgovError("io_error", `quarantine store: ${what}: ${describeThrown(cause)}`, { cause });
}

export function checkReview(review: Review): void {
  if (!review.reviewer.trim()) throw new McpgovError("input_invalid", "quarantine review: reviewer must not be empty");
  if (!review.reason.trim()) throw new McpgovError("input_invalid", "quarantine review: reason must not be empty");
  if (Number.isNaN(Date.parse(review.time))) throw new McpgovError("input_invalid", "quarantine review: time must be an RFC 3339 time");
}

export class SqliteQuarantineStore implements QuarantineStore {
  private closed = false;

  private constructor(private readonly db: Database.Database) {}

  static async open(dataDir: string, options: StateDbOptions = {}): Promise<SqliteQuarantineStore> {
    const db = openStateDb(dataDir, options);
    try {
      db.pragma("secure_delete = ON");
      db.exec(SCHEMA);
    } catch (cause) {
      db.close();
      throw storeError("cannot create the quarantine table", cause);
    }
    return new SqliteQuarantineStore(db);
  }

  async hold(input: NewQuarantineItem): Promise<QuarantineItem> {
    const parsed = NewQuarantineItemSchema.safeParse(input);
    if (!parsed.success) throw new McpgovError("input_invalid", `quarantine item is invalid: ${describeIssues(parsed.error)}`);
    const item = parsed.data;
    const id = `q-${randomUUID()}`;
    try {
      this.db
        .prepare(
          `INSERT INTO quarantine (id, call_id, time, subject_id, subject_tenant, server, tool, rules, reason, bundle_hash, bundle_revision,
             findings, size_bytes, result_json, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held')`,
        )
        .run(
          id,
          item.call_id,
          new Date(item.time).toISOString(),
          item.subject.id,
          item.subject.tenant ?? null,
          item.server,
          item.tool,
          JSON.stringify(item.rules),
          item.reason,
          item.bundle.hash,
          item.bundle.revision,
          JSON.stringify(item.findings),
          Buffer.byteLength(item.result_json, "utf8"),
          item.result_json,
        );
    } catch (cause) {
      throw storeError("cannot hold the output", cause);
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<QuarantineItem | undefined> {
    const row = this.read(() => this.db.prepare(`SELECT ${META} FROM quarantine WHERE id = ?`).get(id) as Row | undefined);
    return row ? toItem(row) : undefined;
  }

  async content(id: string): Promise<{ item: QuarantineItem; result_json: string | undefined } | undefined> {
    // One statement, so the metadata and the content are of the same moment.
    const row = this.read(() => this.db.prepare(`SELECT ${META}, result_json FROM quarantine WHERE id = ?`).get(id) as (Row & { result_json: string | null }) | undefined);
    if (!row) return undefined;
    return { item: toItem(row), result_json: row.result_json ?? undefined };
  }

  async list(filter: QuarantineListFilter = {}): Promise<QuarantineItem[]> {
    const limit = filter.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new McpgovError("input_invalid", "quarantine list: limit must be a positive integer");
    const rows = this.read(() =>
      filter.state
        ? (this.db.prepare(`SELECT ${META} FROM quarantine WHERE state = ? ORDER BY time DESC, id LIMIT ?`).all(filter.state, limit) as Row[])
        : (this.db.prepare(`SELECT ${META} FROM quarantine ORDER BY time DESC, id LIMIT ?`).all(limit) as Row[]),
    );
    return rows.map(toItem);
  }

  release(id: string, review: Review): Promise<TransitionResult> {
    return this.transition(id, review, "released");
  }

  discard(id: string, review: Review): Promise<TransitionResult> {
    return this.transition(id, review, "discarded");
  }

  async expire(before: string, review: Review): Promise<QuarantineItem[]> {
    checkReview(review);
    const cutoff = new Date(before);
    if (Number.isNaN(cutoff.getTime())) throw new McpgovError("input_invalid", "quarantine expire: before must be an RFC 3339 time");
    let ids: string[];
    try {
      ids = this.db.transaction(() => {
        const due = (this.db.prepare("SELECT id FROM quarantine WHERE time < ? AND result_json IS NOT NULL").all(cutoff.toISOString()) as Array<{ id: string }>).map((r) => r.id);
        const discard = this.db.prepare(
          "UPDATE quarantine SET state = 'discarded', reviewer = ?, review_reason = ?, reviewed_at = ?, result_json = NULL WHERE id = ? AND state = 'held'",
        );
        const forget = this.db.prepare("UPDATE quarantine SET result_json = NULL WHERE id = ? AND state = 'released'");
        for (const id of due) {
          if (discard.run(review.reviewer, review.reason, new Date(review.time).toISOString(), id).changes === 0) forget.run(id);
        }
        return due;
      }).immediate();
    } catch (cause) {
      throw storeError("cannot expire held outputs", cause);
    }
    if (ids.length === 0) return [];
    this.forgetWal();
    const items: QuarantineItem[] = [];
    for (const id of ids) {
      const item = await this.get(id);
      if (item) items.push(item);
    }
    return items;
  }

  async countByState(): Promise<Record<QuarantineState, number>> {
    const rows = this.read(() => this.db.prepare("SELECT state, count(*) AS n FROM quarantine GROUP BY state").all() as Array<{ state: QuarantineState; n: number }>);
    const counts: Record<QuarantineState, number> = { held: 0, released: 0, discarded: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private async transition(id: string, review: Review, to: "released" | "discarded"): Promise<TransitionResult> {
    checkReview(review);
    let changes: number;
    try {
      // The compare-and-set: only a held item moves, so of racing reviewers exactly one wins.
      changes = this.db
        .prepare(
          `UPDATE quarantine SET state = ?, reviewer = ?, review_reason = ?, reviewed_at = ?${to === "discarded" ? ", result_json = NULL" : ""}
           WHERE id = ? AND state = 'held'`,
        )
        .run(to, review.reviewer, review.reason, new Date(review.time).toISOString(), id).changes;
    } catch (cause) {
      throw storeError(`cannot mark ${id} ${to}`, cause);
    }
    if (changes === 1 && to === "discarded") this.forgetWal();
    const item = await this.get(id);
    if (!item) return { ok: false, error: "not_found" };
    return changes === 1 ? { ok: true, item } : { ok: false, error: "wrong_state", item };
  }

  /**
   * The WAL still holds the page as it was before the discard. Copying it
   * into the database and truncating the WAL removes that copy; a reader
   * holding an old snapshot can keep it alive until the next discard, so
   * this is best effort and never fails the committed discard.
   */
  private forgetWal(): void {
    try {
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // The discard itself is committed; the WAL is overwritten in later checkpoints.
    }
  }

  private read<T>(query: () => T): T {
    try {
      return query();
    } catch (cause) {
      throw storeError("read failed", cause);
    }
  }
}
