/**
 * @module The append transaction of the SQLite audit store, shared by the
 * store's own connection and its writer thread (sqlite-audit-writer.ts), so
 * both seal and commit records the same way.
 */
import type Database from "better-sqlite3";
import type { AuditEntry, AuditRecord } from "../core/audit-record.js";
import { describeThrown } from "../core/errors.js";
import { sealRecord, type ChainHead } from "./hash-chain.js";
import { RECORD_COLUMNS, toColumns } from "./sqlite-audit-schema.js";

/**
 * One append's fate in a shared commit: its sealed record, or why it failed
 * (a message and SQLite's error code, never the entry).
 */
export type AppendOutcome = { ok: true; record: AuditRecord } | { ok: false; message: string; code?: string };

const failed = (cause: unknown): { ok: false; message: string; code?: string } => {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === "string" ? { ok: false, message: describeThrown(cause), code } : { ok: false, message: describeThrown(cause) };
};

export type CommitBatch = (entries: readonly AuditEntry[]) => AppendOutcome[];

/** Sets a connection's pragmas for appending: WAL, the chosen sync level, a busy timeout. */
/**
 * How long an append waits for a lock another connection holds before it is
 * refused (audit_unavailable): a call waits at most this for its evidence,
 * never indefinitely.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

export function prepareWriter(db: Database.Database, options: { synchronous?: "full" | "normal"; busyTimeoutMs?: number }): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
  if (db.pragma("journal_mode = WAL", { simple: true }) !== "wal") throw new Error("the database refused WAL mode");
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
}

export function prepareAppend(db: Database.Database): CommitBatch {
  const insert = db.prepare(`INSERT INTO audit_records (${RECORD_COLUMNS.join(", ")}) VALUES (${RECORD_COLUMNS.map((c) => `@${c}`).join(", ")})`);
  const insertRule = db.prepare("INSERT INTO audit_rules (record_id, position, rule) VALUES (?, ?, ?)");
  const writeHead = db.prepare("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
  const lastRecord = db.prepare<[], ChainHead>("SELECT seq, hash FROM audit_records ORDER BY id DESC LIMIT 1");
  const selectHead = db.prepare<[], ChainHead>("SELECT seq, hash FROM audit_head WHERE one = 1");

  // Read the head and write the record in one IMMEDIATE transaction: the
  // write lock is taken before the read, so appends from other connections
  // (another process on the same folder) cannot fork the chain.
  const appendTx = db.transaction((entries: readonly AuditEntry[]) => {
    let head = selectHead.get() ?? lastRecord.get();
    const records = entries.map((entry) => {
      const record = sealRecord(entry, head);
      const { lastInsertRowid } = insert.run(toColumns(record));
      if ("rules" in record) record.rules.forEach((rule, position) => insertRule.run(lastInsertRowid, position, rule));
      head = record;
      return record;
    });
    if (head) writeHead.run(head.seq, head.hash);
    return records;
  });

  return (entries) => {
    try {
      return appendTx.immediate(entries).map((record) => ({ ok: true as const, record }));
    } catch (cause) {
      // The transaction rolled back as a whole. A refused row (a constraint) is
      // one append's problem: retry one by one so it fails alone. Anything else
      // (disk full, I/O, a lock held too long) would fail every retry too.
      const refused = String((cause as { code?: unknown } | null)?.code ?? "").startsWith("SQLITE_CONSTRAINT");
      if (entries.length === 1 || !refused) return entries.map(() => failed(cause));
      return entries.map((entry) => {
        try {
          return { ok: true as const, record: appendTx.immediate([entry])[0]! };
        } catch (retryCause) {
          return failed(retryCause);
        }
      });
    }
  };
}
