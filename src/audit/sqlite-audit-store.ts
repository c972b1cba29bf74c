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
 *
 * Commits run on a writer thread (sqlite-audit-writer.ts) when the store
 * runs compiled: the fsync then blocks that thread, not the gateway's event
 * loop, and appends arriving during one commit share the next. An append
 * still resolves only after the commit holding its record. Run from
 * TypeScript sources (tests), or with `writer: "inline"`, commits run on the
 * calling thread, with the same transaction (sqlite-audit-append.ts).
 */
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  type AuditEntry,
  type AuditEntryInput,
  type AuditRecord,
  type CallEntry,
  type CallRecord,
  type EventEntry,
  type EventRecord,
  type IntentEntry,
  type IntentRecord,
} from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { checkedEntry } from "./checked-entry.js";
import { appendError, restrictToOwner } from "./sqlite-audit-file.js";
import { type AuditQuery, type AuditStore, type OutcomeUnknown, utcBound } from "./audit-store.js";
import { type AppendOutcome, type CommitBatch, DEFAULT_BUSY_TIMEOUT_MS, prepareAppend, prepareWriter } from "./sqlite-audit-append.js";
import { MIGRATE_V1_TO_V2, SCHEMA, SCHEMA_VERSION, SELECT, toRecord, type Row } from "./sqlite-audit-schema.js";
import type { ChainHead } from "./hash-chain.js";
import type { WriterData, WriterRequest } from "./sqlite-audit-writer.js";

export const AUDIT_FILE = "audit.sqlite";
/** Rows per read: streams without holding a statement open across awaits (better-sqlite3 forbids other statements meanwhile). */
const PAGE = 500;
/** Most appends committed together; bounds how long one commit holds the event loop (inline) or one message (thread). */
const MAX_BATCH = 64;
/** The compiled writer thread; absent when running from TypeScript sources. */
const WRITER_URL = new URL("./sqlite-audit-writer.js", import.meta.url);
/** From sources (src/audit), the built writer: only when a caller (a test) asks for the thread explicitly. */
const BUILT_WRITER_URL = new URL("../../dist/src/audit/sqlite-audit-writer.js", import.meta.url);
const hasLocalWriter = (): boolean => existsSync(fileURLToPath(WRITER_URL));

interface PendingAppend {
  entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

export interface SqliteAuditStoreOptions {
  /** Create the folder and database if missing (default true). Readers such as the CLI pass false. */
  create?: boolean;
  synchronous?: "full" | "normal";
  /**
   * How long an append waits for a lock another process holds before it is
   * refused with audit_unavailable (default DEFAULT_BUSY_TIMEOUT_MS, 2 s).
   */
  busyTimeoutMs?: number;
  /** Where commits run: a writer thread ("thread", the default when compiled) or the calling thread ("inline"). */
  writer?: "thread" | "inline";
}

function storeError(what: string, cause: unknown): McpgovError {
  return new McpgovError("io_error", `audit store: ${what}: ${describeThrown(cause)}`, { cause });
}

export class SqliteAuditStore implements AuditStore {
  private readonly db: Database.Database;
  private readonly file: string;
  private readonly options: SqliteAuditStoreOptions;
  private readonly useThread: boolean;
  private commitInline: CommitBatch | undefined;
  private writer: Worker | undefined;
  /** Set when the writer thread died: every later append fails (closed), none is silently lost. */
  private writerFailure: McpgovError | undefined;
  private inFlight: { batch: number; appends: PendingAppend[] } | undefined;
  private batches = 0;
  private drained: (() => void) | undefined;
  private readonly pending: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly selectByCall: Database.Statement<[string], Row>;
  private readonly selectHead: Database.Statement<[], ChainHead>;
  private readonly selectOutcomeUnknown: Database.Statement<[number], Row>;

  /** Opens (and by default creates) the store in a data folder. */
  static async open(dataDir: string, options: SqliteAuditStoreOptions = {}): Promise<SqliteAuditStore> {
    const file = join(dataDir, AUDIT_FILE);
    const create = options.create ?? true;
    if (!create && !existsSync(file)) {
      throw new McpgovError("io_error", `no audit store in ${dataDir} (${AUDIT_FILE} not found); point --data-dir or MCPGOV_DATA_DIR at the gateway's data folder`);
    }
    try {
      if (create) {
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        // An empty file is a new database to SQLite; made here it is owner-only from its first byte.
        closeSync(openSync(file, "a", 0o600));
      }
      restrictToOwner(file, create);
      return new SqliteAuditStore(new Database(file, { fileMustExist: !create }), file, options);
    } catch (cause) {
      if (cause instanceof McpgovError) throw cause;
      throw storeError(`cannot open ${file}`, cause);
    }
  }

  private get busyTimeoutMs(): number {
    return this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  }

  private constructor(db: Database.Database, file: string, options: SqliteAuditStoreOptions) {
    this.db = db;
    this.file = file;
    this.options = options;
    try {
      prepareWriter(db, options);
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} was written by a newer mcpgov`);
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const current = db.pragma("user_version", { simple: true }) as number;
          if (current >= SCHEMA_VERSION) return;
          db.exec(current === 1 ? MIGRATE_V1_TO_V2 : SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
    } catch (cause) {
      db.close();
      throw storeError("cannot prepare the database", cause);
    }
    this.useThread = options.writer === "thread" || (options.writer === undefined && hasLocalWriter());
    this.selectHead = db.prepare<[], ChainHead>("SELECT seq, hash FROM audit_head WHERE one = 1");
    this.selectByCall = db.prepare<[string], Row>(`${SELECT} WHERE r.call_id = ? AND (r.kind IS NULL OR r.kind IN ('call', 'intent')) ORDER BY r.id DESC LIMIT 1`);
    this.selectOutcomeUnknown = db.prepare<[number], Row>(
      `${SELECT} WHERE r.kind = 'intent' AND r.id > ? AND NOT EXISTS (
         SELECT 1 FROM audit_records o WHERE o.call_id = r.call_id AND (o.kind IS NULL OR o.kind = 'call')
       ) ORDER BY r.id LIMIT ${PAGE}`,
    );
  }

  /**
   * Group commit: appends that arrive in the same turn of the event loop
   * (concurrent calls), or while the writer thread commits the previous
   * batch, are sealed and committed in one transaction, so they share one
   * fsync. Each promise resolves only after the commit holding its record;
   * if a shared commit fails, its appends are retried one by one.
   */
  append(entry: CallEntry): Promise<CallRecord>;
  append(entry: IntentEntry): Promise<IntentRecord>;
  append(entry: EventEntry): Promise<EventRecord>;
  append(entry: AuditEntryInput): Promise<AuditRecord>;
  async append(entry: AuditEntryInput): Promise<AuditRecord> {
    if (!this.db.open) throw new McpgovError("io_error", "audit store: append after close");
    if (this.writerFailure) throw this.writerFailure;
    const clean = checkedEntry(entry);
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
      if (this.useThread) {
        this.sendBatch();
        return;
      }
      this.commitInlineBatch();
      // A burst larger than one batch continues on the next turn, letting reads in between.
      this.scheduleFlush();
    });
  }

  private commitInlineBatch(): void {
    const batch = this.pending.splice(0, MAX_BATCH);
    this.settle(batch, this.inline()(batch.map((p) => p.entry)));
  }

  private inline(): CommitBatch {
    this.commitInline ??= prepareAppend(this.db);
    return this.commitInline;
  }

  private settle(batch: PendingAppend[], outcomes: AppendOutcome[]): void {
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) p.resolve(outcome.record);
      else p.reject(appendError(outcome ?? { message: "no outcome from the writer" }, this.busyTimeoutMs));
    });
  }

  private startWriter(): Worker {
    const data: WriterData = { file: this.file, synchronous: this.options.synchronous ?? "full", busyTimeoutMs: this.busyTimeoutMs };
    const writer = new Worker(hasLocalWriter() ? WRITER_URL : BUILT_WRITER_URL, { workerData: data });
    writer.on("message", (reply: { batch: number; outcomes: AppendOutcome[] }) => {
      const flight = this.inFlight;
      if (!flight || flight.batch !== reply.batch) return;
      this.inFlight = undefined;
      this.settle(flight.appends, reply.outcomes);
      this.sendBatch();
    });
    const fail = (why: string) => {
      if (this.writer !== writer) return;
      this.writer = undefined;
      this.writerFailure = new McpgovError("io_error", `audit store: the writer thread ${why}; appends are refused until the store is reopened`);
      for (const p of [...(this.inFlight?.appends ?? []), ...this.pending.splice(0)]) p.reject(this.writerFailure);
      this.inFlight = undefined;
      this.drained?.();
    };
    writer.on("error", (error) => fail(`failed: ${describeThrown(error)}`));
    writer.on("exit", (code) => fail(`exited (code ${code})`));
    return writer;
  }

  /** Sends the next batch when none is in flight; the thread is kept referenced only while it has work. */
  private sendBatch(): void {
    if (this.inFlight) return;
    if (this.writerFailure) return;
    if (this.pending.length === 0) {
      this.writer?.unref();
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
      return;
    }
    this.writer ??= this.startWriter();
    this.writer.ref();
    const appends = this.pending.splice(0, MAX_BATCH);
    this.inFlight = { batch: ++this.batches, appends };
    const request: WriterRequest = { batch: this.inFlight.batch, entries: appends.map((p) => p.entry) };
    this.writer.postMessage(request);
  }

  async get(callId: string): Promise<CallRecord | IntentRecord | undefined> {
    const row = this.selectByCall.get(callId);
    return row ? (toRecord(row) as CallRecord | IntentRecord) : undefined;
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
      // Calls name the approval in extra; approval events in their own column.
      where.push("(json_extract(r.extra, '$.approval_id') = @approval_id OR r.approval_id = @approval_id)");
      params["approval_id"] = filter.approvalId;
    }
    if (filter.quarantineId !== undefined) {
      where.push("(json_extract(r.extra, '$.quarantine_id') = @quarantine_id OR r.quarantine_id = @quarantine_id)");
      params["quarantine_id"] = filter.quarantineId;
    }
    if (filter.kind !== undefined) {
      where.push(filter.kind === "call" ? "(r.kind IS NULL OR r.kind = 'call')" : "r.kind = @kind");
      if (filter.kind !== "call") params["kind"] = filter.kind;
    }
    if (filter.event !== undefined) {
      where.push("r.event = @event");
      params["event"] = filter.event;
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

  /**
   * Dispatched calls without an outcome: intent records with no call record
   * of the same call_id, in append order. A gateway killed mid-call leaves
   * these; so does a call still running while this is read.
   */
  async *outcomeUnknown(): AsyncGenerator<OutcomeUnknown> {
    let after = 0;
    for (;;) {
      const rows = this.selectOutcomeUnknown.all(after);
      for (const row of rows) {
        const intent = toRecord(row) as IntentRecord;
        yield { call_id: intent.call_id, seq: intent.seq, time: intent.time, server: intent.server, tool: intent.tool };
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  async head(): Promise<ChainHead | undefined> {
    return this.selectHead.get();
  }

  /** Commits appends still waiting for their turn, then closes. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    if (this.useThread && this.writer) {
      if (this.inFlight || this.pending.length > 0) {
        await new Promise<void>((resolve) => {
          this.drained = resolve;
          this.sendBatch();
        });
      }
      const writer = this.writer;
      this.writer = undefined;
      if (writer) {
        const exited = new Promise<void>((resolve) => writer.once("exit", () => resolve()));
        // An idle writer is unreferenced; referenced again, the wait for its exit keeps the process alive until it has closed.
        writer.ref();
        writer.postMessage("close");
        await exited;
      }
    }
    // Inline (or a writer that died: those appends were already refused).
    while (this.pending.length > 0) this.commitInlineBatch();
    this.db.close();
  }
}
