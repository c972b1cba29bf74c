/**
 * @module PgAuditStore: the audit chain in PostgreSQL, one column per
 * field like SqliteAuditStore (rows map to records with the same toRecord),
 * rules as a text[] column with a GIN index.
 *
 * One chain for every gateway on the database: an append transaction locks
 * the chain-head row (`SELECT … FROM audit_head FOR UPDATE`), seals its
 * records after that head, inserts them and moves the head, then commits;
 * so seq and prev_hash are assigned under the lock and the chain stays
 * linear across processes. Appends that queue while a commit is in flight
 * share the next transaction (group commit), so the lock and the COMMIT's
 * WAL flush are paid per batch, not per record. An append resolves only
 * after the COMMIT holding its record returned, flushed to the server's WAL
 * (the append transaction raises synchronous_commit=off to `local`).
 *
 * A head lock held past `timeoutMs` (lock_timeout), an unreachable server
 * or one out of connections or disk refuses the append with
 * audit_unavailable; the chain stays as it was.
 */
import type pg from "pg";
import type { AuditEntry, AuditEntryInput, AuditRecord, CallEntry, CallRecord, EventEntry, EventRecord, IntentEntry, IntentRecord } from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { isUnavailable, openPgPool, pgError, type PgStateOptions } from "../state/pg-db.js";
import { type AuditQuery, type AuditStore, type OutcomeUnknown, utcBound } from "./audit-store.js";
import { checkedEntry } from "./checked-entry.js";
import { sealRecord, type ChainHead } from "./hash-chain.js";
import { RECORD_COLUMNS, toColumns, toRecord, type Row } from "./sqlite-audit-schema.js";

/** Rows per page of a streamed read (keyset pagination on id: no cursor held across awaits). */
const PAGE = 500;
/** Most appends committed together. */
const MAX_BATCH = 64;
const DEFAULT_TIMEOUT_MS = 2_000;

const COLUMNS = [...RECORD_COLUMNS, "rules", "extra_approval_id", "extra_quarantine_id"] as const;
const INSERT_COLUMNS = COLUMNS.join(", ");
/** The record's columns with the rules as a JSON array text, as toRecord reads them. */
const SELECT = `SELECT r.id, ${RECORD_COLUMNS.map((c) => `r.${c}`).join(", ")}, COALESCE(array_to_json(r.rules)::text, '[]') AS rules FROM audit_records r`;

interface PendingAppend {
  entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite can). Values stored as JSON
 * text (envelope, extra, details…) escape it; a NUL in a plain column (an
 * upstream's error text, a reason) is replaced by U+FFFD before sealing and
 * noted as nul_replaced, so what is sealed is what is stored, and a record
 * is never refused for it.
 */
function withoutNul(entry: AuditEntry): AuditEntry {
  const json = JSON.stringify(entry);
  if (!json.includes("\\u0000")) return entry;
  let changed = false;
  const plain = (value: unknown): unknown => {
    if (typeof value === "string" && value.includes("\0")) {
      changed = true;
      return value.replaceAll("\0", "\uFFFD");
    }
    if (Array.isArray(value)) return value.map(plain);
    return value;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === "subject" || key === "bundle") out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
    else if (JSON_COLUMNS.has(key)) out[key] = value;
    else out[key] = plain(value);
  }
  if (!changed) return entry;
  const noted = out as AuditEntry;
  if (noted.kind === "event") return { ...noted, details: { ...noted.details, nul_replaced: true } };
  return { ...noted, extra: { ...noted.extra, nul_replaced: true } };
}

/** Fields stored as JSON text, where a NUL is escaped and kept. */
const JSON_COLUMNS = new Set(["envelope", "constraints", "matched", "extra", "details"]);

function columnsOf(record: AuditRecord): unknown[] {
  const columns: Record<string, unknown> = toColumns(record);
  const extra = "extra" in record ? (record.extra as Record<string, unknown> | undefined) : undefined;
  columns["rules"] = "rules" in record ? record.rules : null;
  columns["extra_approval_id"] = typeof extra?.["approval_id"] === "string" ? extra["approval_id"] : null;
  columns["extra_quarantine_id"] = typeof extra?.["quarantine_id"] === "string" ? extra["quarantine_id"] : null;
  return COLUMNS.map((c) => columns[c]);
}

/** Why an append failed, for the caller: unavailable (retry later, refuse the call) or refused. */
export function pgAppendError(cause: unknown): McpgovError {
  if (cause instanceof McpgovError) return cause;
  const code = String((cause as { code?: unknown } | null)?.code ?? "");
  if (isUnavailable(cause)) {
    const why = code === "55P03" ? "the chain head is locked by another writer past the timeout" : "the database cannot take records now";
    return new McpgovError("audit_unavailable", `audit store unavailable: ${why} (${code || "no code"}: ${describeThrown(cause)})`, { cause, data: { pg_code: code } });
  }
  return new McpgovError("io_error", `audit store: append failed: ${describeThrown(cause)}`, { cause, data: { pg_code: code } });
}

export class PgAuditStore implements AuditStore {
  private closed = false;
  private readonly pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly timeoutMs: number,
  ) {}

  static async open(options: PgStateOptions): Promise<PgAuditStore> {
    return new PgAuditStore(await openPgPool(options, "audit store"), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  append(entry: CallEntry): Promise<CallRecord>;
  append(entry: IntentEntry): Promise<IntentRecord>;
  append(entry: EventEntry): Promise<EventRecord>;
  append(entry: AuditEntryInput): Promise<AuditRecord>;
  async append(entry: AuditEntryInput): Promise<AuditRecord> {
    if (this.closed) throw new McpgovError("io_error", "audit store: append after close");
    const clean = withoutNul(checkedEntry(entry));
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ entry: clean, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Commits batches until the queue is empty; one transaction in flight per store. */
  private async flush(): Promise<void> {
    // Let appends of the same turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const records = await this.commit(batch.map((p) => p.entry));
        batch.forEach((p, i) => p.resolve(records[i]!));
      } catch (cause) {
        // A refused row (a constraint, bad text) is one append's problem: retry one by one so it fails alone.
        if (batch.length === 1 || isUnavailable(cause)) {
          const error = pgAppendError(cause);
          for (const p of batch) p.reject(error);
          continue;
        }
        for (const p of batch) {
          try {
            p.resolve((await this.commit([p.entry]))[0]!);
          } catch (retryCause) {
            p.reject(pgAppendError(retryCause));
          }
        }
      }
    }
    this.flushing = undefined;
  }

  /**
   * One transaction: lock the head, seal after it, insert and move the
   * head, COMMIT. Three round trips, two of them while holding the head
   * lock (which PostgreSQL keeps until the COMMIT is flushed): every
   * gateway on the database waits for it, so it is held as briefly as the
   * chain allows.
   */
  private async commit(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // One simple-protocol round trip for all four statements. A server or
      // role set to synchronous_commit=off would answer COMMIT before the
      // WAL reaches disk: this transaction then asks for at least `local`.
      const results = (await client.query(
        `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(this.timeoutMs))};
         SELECT set_config('synchronous_commit', 'local', true) WHERE current_setting('synchronous_commit') = 'off';
         SELECT seq, hash FROM audit_head WHERE one = 1 FOR UPDATE`,
      )) as unknown as Array<pg.QueryResult<ChainHead>>;
      const locked = results[3]?.rows[0];
      if (!locked) throw new Error("the audit_head row is missing");
      let head: ChainHead | undefined = locked.seq > 0 ? locked : undefined;
      const records: AuditRecord[] = [];
      const params: unknown[] = [];
      const values: string[] = [];
      for (const entry of entries) {
        const record = sealRecord(entry, head) as AuditRecord;
        records.push(record);
        head = record;
        const row = columnsOf(record);
        values.push(`(${row.map((_, i) => `$${params.length + i + 1}`).join(", ")})`);
        params.push(...row);
      }
      params.push(head!.seq, head!.hash);
      await client.query(
        `WITH inserted AS (INSERT INTO audit_records (${INSERT_COLUMNS}) VALUES ${values.join(", ")})
         UPDATE audit_head SET seq = $${params.length - 1}, hash = $${params.length} WHERE one = 1`,
        params,
      );
      await client.query("COMMIT");
      return records;
    } catch (cause) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw cause;
    } finally {
      client.release(broken);
    }
  }

  private async rows(what: string, sql: string, params: unknown[]): Promise<Row[]> {
    if (this.closed) throw new McpgovError("io_error", `audit store: ${what} after close`);
    try {
      return (await this.pool.query<Row>(sql, params)).rows;
    } catch (cause) {
      throw isUnavailable(cause) ? pgAppendError(cause) : pgError(`audit store: ${what}`, cause);
    }
  }

  async get(callId: string): Promise<CallRecord | IntentRecord | undefined> {
    const [row] = await this.rows("get", `${SELECT} WHERE r.call_id = $1 AND (r.kind IS NULL OR r.kind IN ('call', 'intent')) ORDER BY r.id DESC LIMIT 1`, [callId]);
    return row ? (toRecord(row) as CallRecord | IntentRecord) : undefined;
  }

  iterate(): AsyncIterable<AuditRecord> {
    return this.query({});
  }

  async *query(filter: AuditQuery): AsyncGenerator<AuditRecord> {
    const where: string[] = ["r.id > $1"];
    const params: unknown[] = [0];
    const add = (condition: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(condition(`$${params.length}`));
    };
    const equal = { call_id: filter.callId, server: filter.server, tool: filter.tool, action: filter.action, decision: filter.decision, outcome: filter.outcome, event: filter.event };
    for (const [column, value] of Object.entries(equal)) if (value !== undefined) add((p) => `r.${column} = ${p}`, value);
    if (filter.since !== undefined) add((p) => `r.time >= ${p}`, utcBound(filter.since, "since"));
    if (filter.until !== undefined) add((p) => `r.time < ${p}`, utcBound(filter.until, "until"));
    // Calls name the approval (quarantined output) in extra; events in their own column.
    if (filter.approvalId !== undefined) add((p) => `(r.extra_approval_id = ${p} OR r.approval_id = ${p})`, filter.approvalId);
    if (filter.quarantineId !== undefined) add((p) => `(r.extra_quarantine_id = ${p} OR r.quarantine_id = ${p})`, filter.quarantineId);
    if (filter.kind === "call") where.push("(r.kind IS NULL OR r.kind = 'call')");
    else if (filter.kind !== undefined) add((p) => `r.kind = ${p}`, filter.kind);
    if (filter.rule !== undefined) add((p) => `r.rules @> ARRAY[${p}]::text[]`, filter.rule);
    params.push(PAGE);
    const pageParam = params.length;
    const sql = `${SELECT} WHERE ${where.join(" AND ")} ORDER BY r.id LIMIT $${pageParam}`;
    let left = filter.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const page = Math.min(PAGE, left);
      params[pageParam - 1] = page;
      const rows = await this.rows("query", sql, params);
      for (const row of rows) yield toRecord(row);
      if (rows.length < page) return;
      left -= rows.length;
      params[0] = rows[rows.length - 1]!.id;
    }
  }

  async *outcomeUnknown(): AsyncGenerator<OutcomeUnknown> {
    let after = 0;
    for (;;) {
      const rows = await this.rows(
        "outcome unknown",
        `${SELECT} WHERE r.kind = 'intent' AND r.id > $1 AND NOT EXISTS (
           SELECT 1 FROM audit_records o WHERE o.call_id = r.call_id AND (o.kind IS NULL OR o.kind = 'call')
         ) ORDER BY r.id LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows) {
        const intent = toRecord(row) as IntentRecord;
        yield { call_id: intent.call_id, seq: intent.seq, time: intent.time, server: intent.server, tool: intent.tool };
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  async head(): Promise<ChainHead | undefined> {
    if (this.closed) throw new McpgovError("io_error", "audit store: head after close");
    try {
      const { rows } = await this.pool.query<ChainHead>("SELECT seq, hash FROM audit_head WHERE one = 1 AND seq > 0");
      return rows[0];
    } catch (cause) {
      throw pgError("audit store: head", cause);
    }
  }

  /** Commits appends still waiting for their turn, then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.pool.end();
  }
}
