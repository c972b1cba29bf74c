/**
 * @module PgApprovalStore: approval requests in PostgreSQL, the same rows
 * as SqliteApprovalStore. Every transition is one conditional
 * `UPDATE … WHERE id = $1 AND state = …`: under READ COMMITTED a racing
 * UPDATE waits for the winner's row lock, then re-checks its WHERE on the
 * committed row and changes nothing, so of any number of gateways exactly
 * one consumes an approval. The UPDATE and the read of its result share a
 * transaction, so a row edited by hand into a shape that no longer parses
 * rolls the transition back and is reported.
 */
import type pg from "pg";
import { ApprovalRequestSchema, type ApprovalRequest, type ApprovalState, type Approver } from "../core/approval.js";
import { McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { inTransaction, openPgPool, pgError, type PgStateOptions } from "../state/pg-db.js";
import type { ApprovalQuery, ApprovalStore, Transition } from "./approval-store.js";
import type { GatewayPresence, Heartbeat } from "./heartbeat-store.js";
import { IMMUTABLE, toRequest, type Row } from "./sqlite-approval-store.js";

type Client = pg.Pool | pg.PoolClient;

export class PgApprovalStore implements ApprovalStore {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(options: PgStateOptions): Promise<PgApprovalStore> {
    return new PgApprovalStore(await openPgPool(options, "approval store"));
  }

  private async run<T>(what: string, fn: (client: Client) => Promise<T>, mode: "read" | "write" = "read"): Promise<T> {
    if (this.closed) throw new McpgovError("io_error", `approval store: ${what} after close`);
    try {
      return mode === "write" ? await inTransaction(this.pool, fn) : await fn(this.pool);
    } catch (cause) {
      throw pgError(`approval store: ${what}`, cause);
    }
  }

  private async row(client: Client, id: string): Promise<Row | undefined> {
    return (await client.query<Row>("SELECT * FROM approvals WHERE id = $1", [id])).rows[0];
  }

  /** After a conditional UPDATE … RETURNING: the winner gets the new row, a loser learns why. */
  private async outcome(client: Client, id: string, updated: Row | undefined): Promise<Transition> {
    if (updated) return { ok: true, request: toRequest(updated) };
    const row = await this.row(client, id);
    return row ? { ok: false, reason: "wrong_state", request: toRequest(row) } : { ok: false, reason: "not_found" };
  }

  async create(request: ApprovalRequest): Promise<ApprovalRequest> {
    const parsed = ApprovalRequestSchema.safeParse(request);
    if (!parsed.success) throw new McpgovError("input_invalid", `approval request: ${describeIssues(parsed.error)}`);
    const valid = parsed.data;
    const body = Object.fromEntries(IMMUTABLE.map((key) => [key, valid[key]]));
    return this.run("create", async (client) => {
      const { rows } = await client.query<Row>(
        `INSERT INTO approvals (id, call_id, created_at, expires_at, state, call_digest, subject_id, bundle_hash, grp, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [valid.id, valid.call_id, valid.created_at, valid.expires_at, valid.state, valid.call_digest, valid.subject.id, valid.bundle.hash, valid.group, JSON.stringify(body)],
      );
      return toRequest(rows[0]!);
    });
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    return this.run("get", async (client) => {
      const row = await this.row(client, id);
      return row ? toRequest(row) : undefined;
    });
  }

  async list(query: ApprovalQuery = {}): Promise<ApprovalRequest[]> {
    const limit = query.limit ?? 200;
    if (!Number.isInteger(limit) || limit < 1) throw new McpgovError("input_invalid", "approval list: limit must be a positive integer");
    const where: string[] = [];
    const params: unknown[] = [];
    const equal = { state: query.state, grp: query.group, subject_id: query.subjectId, call_digest: query.callDigest };
    for (const [column, value] of Object.entries(equal)) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(limit);
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, n DESC LIMIT $${params.length}`;
    return this.run("list", async (client) => (await client.query<Row>(sql, params)).rows.map(toRequest));
  }

  async decide(id: string, outcome: { state: "approved" | "denied"; by: Approver; reason: string; at: string }): Promise<Transition> {
    return this.run(
      "decide",
      async (client) => {
        const { rows } = await client.query<Row>(
          `UPDATE approvals SET state = $2, decided_by = $3, decided_at = $4, decision_reason = $5
           WHERE id = $1 AND state = 'pending' AND expires_at > $4 RETURNING *`,
          [id, outcome.state, JSON.stringify(outcome.by), outcome.at, outcome.reason],
        );
        return this.outcome(client, id, rows[0]);
      },
      "write",
    );
  }

  async consume(id: string, use: { callId: string; subjectId: string; bundleHash: string; at: string }): Promise<Transition> {
    return this.run(
      "consume",
      async (client) => {
        const { rows } = await client.query<Row>(
          `UPDATE approvals SET state = 'used', used_by_call = $2, used_at = $3
           WHERE id = $1 AND state = 'approved' AND subject_id = $4 AND bundle_hash = $5 AND expires_at > $3 RETURNING *`,
          [id, use.callId, use.at, use.subjectId, use.bundleHash],
        );
        return this.outcome(client, id, rows[0]);
      },
      "write",
    );
  }

  async voidRequest(id: string, reason: string): Promise<Transition> {
    return this.run(
      "void",
      async (client) => {
        const { rows } = await client.query<Row>("UPDATE approvals SET state = 'void', void_reason = $2 WHERE id = $1 AND state IN ('pending', 'approved') RETURNING *", [id, reason]);
        return this.outcome(client, id, rows[0]);
      },
      "write",
    );
  }

  async expireDue(now: string): Promise<ApprovalRequest[]> {
    return this.run(
      "expire",
      async (client) => {
        const { rows } = await client.query<Row>("UPDATE approvals SET state = 'expired' WHERE state IN ('pending', 'approved') AND expires_at <= $1 RETURNING *", [now]);
        // One malformed row refuses the whole expiry (the transaction rolls back), as in SQLite.
        return rows.map(toRequest);
      },
      "write",
    );
  }

  async boundToOtherBundles(activeHash: string): Promise<ApprovalRequest[]> {
    return this.run("list by bundle", async (client) =>
      (await client.query<Row>("SELECT * FROM approvals WHERE state IN ('pending', 'approved') AND bundle_hash <> $1 ORDER BY n", [activeHash])).rows.map(toRequest),
    );
  }

  async beat(heartbeat: Heartbeat): Promise<void> {
    await this.run("heartbeat", async (client) => {
      await client.query(
        `INSERT INTO gateway_heartbeats (gateway_id, bundle_hash, bundle_revision, last_seen) VALUES ($1, $2, $3, now())
         ON CONFLICT (gateway_id) DO UPDATE SET bundle_hash = EXCLUDED.bundle_hash, bundle_revision = EXCLUDED.bundle_revision, last_seen = now()`,
        [heartbeat.gatewayId, heartbeat.bundle.hash, heartbeat.bundle.revision],
      );
      // Gateways gone for a day (killed, never to return) leave no row behind.
      await client.query("DELETE FROM gateway_heartbeats WHERE last_seen < now() - interval '1 day'");
    });
  }

  async bundlesInUse(window: { freshMs: number; now: string }): Promise<Set<string>> {
    const rows = await this.run("bundles in use", async (client) =>
      (await client.query<{ bundle_hash: string }>("SELECT DISTINCT bundle_hash FROM gateway_heartbeats WHERE last_seen > now() - make_interval(secs => $1)", [window.freshMs / 1000])).rows,
    );
    return new Set(rows.map((r) => r.bundle_hash));
  }

  async gateways(): Promise<GatewayPresence[]> {
    return this.run("gateways", async (client) =>
      (
        await client.query<GatewayPresence>(
          `SELECT gateway_id, bundle_hash, bundle_revision, to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_seen
           FROM gateway_heartbeats ORDER BY last_seen DESC, gateway_id`,
        )
      ).rows,
    );
  }

  async leave(gatewayId: string): Promise<void> {
    await this.run("leave", (client) => client.query("DELETE FROM gateway_heartbeats WHERE gateway_id = $1", [gatewayId]));
  }

  async countByState(): Promise<Record<ApprovalState, number>> {
    const counts: Record<ApprovalState, number> = { pending: 0, approved: 0, denied: 0, expired: 0, used: 0, void: 0 };
    const rows = await this.run("count", async (client) => (await client.query<{ state: ApprovalState; n: number }>("SELECT state, count(*)::int AS n FROM approvals GROUP BY state")).rows);
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
