/**
 * @module SqliteAuditStore: the audit chain in `<data>/audit.sqlite`
 * (better-sqlite3, WAL).
 *
 * Every field of a record has its own column, and a record read back is
 * rebuilt from those columns (rules from the rule table). What `why` and the
 * queries see is thus exactly what `verify` hashes: editing any column of a
 * stored record breaks its hash.
 *
 * Durability: WAL with `synchronous=FULL` by default, so each append's
 * commit is fsynced to the WAL before `append` resolves and survives power
 * loss too. `synchronous: "normal"` is offered for hosts that accept losing
 * the last commits on power loss or an OS crash: in WAL mode a commit is in
 * the OS page cache when it returns, which already survives the gateway
 * process being killed, and the chain stays consistent (WAL replay stops at
 * the last whole commit). Concurrent appends share commits (group commit),
 * so the fsync is paid per batch, not per record.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AuditEntrySchema, type AuditEntry, type AuditEntryInput, type AuditRecord } from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import type { AuditQuery, AuditStore } from "./audit-store.js";
import { SCHEMA, SCHEMA_VERSION, SELECT, toColumns, toRecord, type Row } from "./sqlite-audit-schema.js";
import { sealRecord, type ChainHead } from "./hash-chain.js";

export const AUDIT_FILE = "audit.sqlite";
/** Rows per read: streams without holding a statement open across awaits (better-sqlite3 forbids other statements meanwhile). */
const PAGE = 500;
/** Most appends committed together; bounds how long one commit holds the event loop. */
const MAX_BATCH = 64;

interface PendingAppend {
  entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

export interface SqliteAuditStoreOptions {
  /** Create the folder and database if missing (default true). Readers such as the CLI pass false. */
  create?: boolean;
  synchronous?: "full" | "normal";
  /** How long to wait for another process's append (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** RFC 3339 (or a plain date) to the stored UTC form, so bounds compare as text. */
export function utcBound(value: string, name: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}(?:[Tt ][0-9:.]+(?:[Zz]|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new McpgovError("input_invalid", `${name}: expected an RFC 3339 time such as 2026-04-01T09:30:00Z`);
  return new Date(ms).toISOString();
}

function storeError(what: string, cause: unknown): McpgovError {
  return new McpgovError("io_error", `audit store: ${what}: ${describeThrown(cause)}`, { cause });
}

export class SqliteAuditStore implements AuditStore {
  private readonly db: Database.Database;
  private readonly appendTx: Database.Transaction<(entries: readonly AuditEntry[]) => AuditRecord[]>;
  private readonly pending: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly selectByCall: Database.Statement<[string], Row>;
  private readonly selectHead: Database.Statement<[], ChainHead>;

  /** Opens (and by default creates) the store in a data folder. */
  static async open(dataDir: string, options: SqliteAuditStoreOptions = {}): Promise<SqliteAuditStore> {
    const file = join(dataDir, AUDIT_FILE);
    const create = options.create ?? true;
    if (!create && !existsSync(file)) {
      throw new McpgovError("io_error", `no audit store in ${dataDir} (${AUDIT_FILE} not found); point --data or MCPGOV_DATA at the gateway's data folder`);
    }
    try {
      if (create) mkdirSync(dataDir, { recursive: true });
      return new SqliteAuditStore(new Database(file, { fileMustExist: !create }), options);
    } catch (cause) {
      if (cause instanceof McpgovError) throw cause;
      throw storeError(`cannot open ${file}`, cause);
    }
  }

  private constructor(db: Database.Database, options: SqliteAuditStoreOptions) {
    this.db = db;
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      if (db.pragma("journal_mode = WAL", { simple: true }) !== "wal") throw new Error("the database refused WAL mode");
      db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} was written by a newer mcpgov`);
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
    } catch (cause) {
      db.close();
      throw storeError("cannot prepare the database", cause);
    }

    const insert = db.prepare(
      `INSERT INTO audit_records (seq, call_id, time, request_id, subject_id, subject_tenant, server, tool, action, envelope_digest, envelope,
         decision, reason, constraints, matched, bundle_hash, bundle_revision, fail_closed, outcome, error, decision_latency_us,
         upstream_latency_ms, extra, prev_hash, hash)
       VALUES (@seq, @call_id, @time, @request_id, @subject_id, @subject_tenant, @server, @tool, @action, @envelope_digest, @envelope,
         @decision, @reason, @constraints, @matched, @bundle_hash, @bundle_revision, @fail_closed, @outcome, @error, @decision_latency_us,
         @upstream_latency_ms, @extra, @prev_hash, @hash)`,
    );
    const insertRule = db.prepare("INSERT INTO audit_rules (record_id, position, rule) VALUES (?, ?, ?)");
    const writeHead = db.prepare("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
    const lastRecord = db.prepare<[], ChainHead>("SELECT seq, hash FROM audit_records ORDER BY id DESC LIMIT 1");
    this.selectHead = db.prepare<[], ChainHead>("SELECT seq, hash FROM audit_head WHERE one = 1");
    this.selectByCall = db.prepare<[string], Row>(`${SELECT} WHERE r.call_id = ? ORDER BY r.id DESC LIMIT 1`);

    // Read the head and write the record in one IMMEDIATE transaction: the
    // write lock is taken before the read, so appends from other connections
    // (another process on the same folder) cannot fork the chain.
    this.appendTx = db.transaction((entries: readonly AuditEntry[]) => {
      let head = this.selectHead.get() ?? lastRecord.get();
      const records = entries.map((entry) => {
        const record = sealRecord(entry, head);
        const { lastInsertRowid } = insert.run(toColumns(record));
        record.rules.forEach((rule, position) => insertRule.run(lastInsertRowid, position, rule));
        head = record;
        return record;
      });
      if (head) writeHead.run(head.seq, head.hash);
      return records;
    });
  }

  /**
   * Group commit: appends that arrive in the same turn of the event loop
   * (concurrent calls) are sealed and committed in one transaction, so they
   * share one fsync. Each promise resolves only after the commit holding its
   * record; if a shared commit fails, its appends are retried one by one.
   */
  async append(entry: AuditEntryInput): Promise<AuditRecord> {
    if (!this.db.open) throw new McpgovError("io_error", "audit store: append after close");
    const parsed = AuditEntrySchema.safeParse(entry);
    if (!parsed.success) throw new McpgovError("input_invalid", `audit entry is invalid: ${describeIssues(parsed.error)}`);
    let clean: AuditEntry;
    try {
      // A JSON round trip drops keys set to undefined, so the sealed content is exactly what a read rebuilds.
      clean = JSON.parse(JSON.stringify(parsed.data)) as AuditEntry;
    } catch (cause) {
      throw new McpgovError("input_invalid", `audit entry is not JSON: ${describeThrown(cause)}`, { cause });
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ entry: clean, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.pending.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.db.open) return;
      this.commitBatch();
      // A burst larger than one batch continues on the next turn, letting reads in between.
      this.scheduleFlush();
    });
  }

  private commitBatch(): void {
    const batch = this.pending.splice(0, MAX_BATCH);
    try {
      const records = this.appendTx.immediate(batch.map((p) => p.entry));
      batch.forEach((p, i) => p.resolve(records[i]!));
    } catch (cause) {
      // The transaction rolled back as a whole. A refused row (a constraint) is
      // one append's problem: retry one by one so it fails alone. Anything else
      // (disk full, I/O, a lock held too long) would fail every retry too.
      const refused = String((cause as { code?: unknown } | null)?.code ?? "").startsWith("SQLITE_CONSTRAINT");
      if (batch.length === 1 || !refused) {
        const error = storeError("append failed", cause);
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) {
        try {
          p.resolve(this.appendTx.immediate([p.entry])[0]!);
        } catch (retryCause) {
          p.reject(storeError("append failed", retryCause));
        }
      }
    }
  }

  async get(callId: string): Promise<AuditRecord | undefined> {
    const row = this.selectByCall.get(callId);
    return row ? toRecord(row) : undefined;
  }

  iterate(): AsyncIterable<AuditRecord> {
    return this.query({});
  }

  async *query(filter: AuditQuery): AsyncGenerator<AuditRecord> {
    const where: string[] = ["r.id > @after"];
    const params: Record<string, string | number> = { after: 0, page: PAGE };
    const equal = { call_id: filter.callId, server: filter.server, tool: filter.tool, action: filter.action, decision: filter.decision, outcome: filter.outcome };
    for (const [column, value] of Object.entries(equal)) {
      if (value === undefined) continue;
      where.push(`r.${column} = @${column}`);
      params[column] = value;
    }
    if (filter.since !== undefined) {
      where.push("r.time >= @since");
      params["since"] = utcBound(filter.since, "since");
    }
    if (filter.until !== undefined) {
      where.push("r.time < @until");
      params["until"] = utcBound(filter.until, "until");
    }
    if (filter.approvalId !== undefined) {
      where.push("json_extract(r.extra, '$.approval_id') = @approval_id");
      params["approval_id"] = filter.approvalId;
    }
    if (filter.rule !== undefined) {
      where.push("r.id IN (SELECT record_id FROM audit_rules WHERE rule = @rule AND record_id > @after)");
      params["rule"] = filter.rule;
    }
    const statement = this.db.prepare<[Record<string, string | number>], Row>(`${SELECT} WHERE ${where.join(" AND ")} ORDER BY r.id LIMIT @page`);
    let left = filter.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      params["page"] = Math.min(PAGE, left);
      const rows = statement.all(params);
      for (const row of rows) yield toRecord(row);
      if (rows.length < params["page"]) return;
      left -= rows.length;
      params["after"] = rows[rows.length - 1]!.id;
    }
  }

  async head(): Promise<ChainHead | undefined> {
    return this.selectHead.get();
  }

  /** Commits appends still waiting for their turn, then closes. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    while (this.pending.length > 0) this.commitBatch();
    this.db.close();
  }
}
