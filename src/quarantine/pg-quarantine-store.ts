/**
 * @module PgQuarantineStore: the `quarantine` table on PostgreSQL, the same
 * rows as SqliteQuarantineStore, with compare-and-set transitions
 * (`UPDATE … WHERE id = $1 AND state = 'held'`).
 *
 * A discard sets the content to NULL. PostgreSQL keeps the old row version
 * until VACUUM reclaims it, so a discard (and an expiry) runs a best-effort
 * `VACUUM quarantine` afterwards; copies in the server's WAL and backups
 * age out on the server's own schedule, which the operator controls.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { inTransaction, openPgPool, pgError, type PgStateOptions } from "../state/pg-db.js";
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
import { checkReview, toItem, type Row } from "./sqlite-quarantine-store.js";

/** Every column but the content, plus whether it is still there (as 0/1, like SQLite). */
const META = `id, call_id, time, subject_id, subject_tenant, server, tool, rules, reason, bundle_hash, bundle_revision,
  findings, size_bytes, (result_json IS NOT NULL)::int AS has_content, state, reviewer, review_reason, reviewed_at`;

export class PgQuarantineStore implements QuarantineStore {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(options: PgStateOptions): Promise<PgQuarantineStore> {
    return new PgQuarantineStore(await openPgPool(options, "quarantine store"));
  }

  private async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    if (this.closed) throw new McpgovError("io_error", `quarantine store: ${what} after close`);
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (cause) {
      throw pgError(`quarantine store: ${what}`, cause);
    }
  }

  async hold(input: NewQuarantineItem): Promise<QuarantineItem> {
    const parsed = NewQuarantineItemSchema.safeParse(input);
    if (!parsed.success) throw new McpgovError("input_invalid", `quarantine item is invalid: ${describeIssues(parsed.error)}`);
    const item = parsed.data;
    const rows = await this.query<Row>(
      "cannot hold the output",
      `INSERT INTO quarantine (id, call_id, time, subject_id, subject_tenant, server, tool, rules, reason, bundle_hash, bundle_revision,
         findings, size_bytes, result_json, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'held') RETURNING ${META}`,
      [
        `q-${randomUUID()}`,
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
      ],
    );
    return toItem(rows[0]!);
  }

  async get(id: string): Promise<QuarantineItem | undefined> {
    const row = (await this.query<Row>("read failed", `SELECT ${META} FROM quarantine WHERE id = $1`, [id]))[0];
    return row ? toItem(row) : undefined;
  }

  async content(id: string): Promise<{ item: QuarantineItem; result_json: string | undefined } | undefined> {
    const row = (await this.query<Row & { result_json: string | null }>("read failed", `SELECT ${META}, result_json FROM quarantine WHERE id = $1`, [id]))[0];
    return row ? { item: toItem(row), result_json: row.result_json ?? undefined } : undefined;
  }

  async list(filter: QuarantineListFilter = {}): Promise<QuarantineItem[]> {
    const limit = filter.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new McpgovError("input_invalid", "quarantine list: limit must be a positive integer");
    const rows = filter.state
      ? await this.query<Row>("read failed", `SELECT ${META} FROM quarantine WHERE state = $1 ORDER BY time DESC, id LIMIT $2`, [filter.state, limit])
      : await this.query<Row>("read failed", `SELECT ${META} FROM quarantine ORDER BY time DESC, id LIMIT $1`, [limit]);
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
    if (this.closed) throw new McpgovError("io_error", "quarantine store: expire after close");
    let rows: Row[];
    try {
      rows = await inTransaction(this.pool, async (client) => {
        const at = new Date(review.time).toISOString();
        const discarded = await client.query<Row>(
          `UPDATE quarantine SET state = 'discarded', reviewer = $2, review_reason = $3, reviewed_at = $4, result_json = NULL
           WHERE time < $1 AND state = 'held' AND result_json IS NOT NULL RETURNING ${META}`,
          [cutoff.toISOString(), review.reviewer, review.reason, at],
        );
        const forgotten = await client.query<Row>(
          `UPDATE quarantine SET result_json = NULL WHERE time < $1 AND state = 'released' AND result_json IS NOT NULL RETURNING ${META}`,
          [cutoff.toISOString()],
        );
        return [...discarded.rows, ...forgotten.rows];
      });
    } catch (cause) {
      throw pgError("quarantine store: cannot expire held outputs", cause);
    }
    if (rows.length > 0) await this.vacuum();
    return rows.map(toItem);
  }

  async countByState(): Promise<Record<QuarantineState, number>> {
    const rows = await this.query<{ state: QuarantineState; n: number }>("read failed", "SELECT state, count(*)::int AS n FROM quarantine GROUP BY state", []);
    const counts: Record<QuarantineState, number> = { held: 0, released: 0, discarded: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transition(id: string, review: Review, to: "released" | "discarded"): Promise<TransitionResult> {
    checkReview(review);
    // The compare-and-set: only a held item moves, so of racing reviewers exactly one wins.
    const updated = await this.query<Row>(
      `cannot mark ${id} ${to}`,
      `UPDATE quarantine SET state = $2, reviewer = $3, review_reason = $4, reviewed_at = $5${to === "discarded" ? ", result_json = NULL" : ""}
       WHERE id = $1 AND state = 'held' RETURNING ${META}`,
      [id, to, review.reviewer, review.reason, new Date(review.time).toISOString()],
    );
    if (updated[0]) {
      if (to === "discarded") await this.vacuum();
      return { ok: true, item: toItem(updated[0]) };
    }
    const item = await this.get(id);
    return item ? { ok: false, error: "wrong_state", item } : { ok: false, error: "not_found" };
  }

  /** Reclaims the discarded row versions; best effort, never fails the committed discard. */
  private async vacuum(): Promise<void> {
    try {
      await this.pool.query("VACUUM quarantine");
    } catch {
      // The discard is committed; autovacuum reclaims the old version later.
    }
  }
}
