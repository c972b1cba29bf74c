/**
 * @module The audit store's writer thread: its own connection commits the
 * batches the store sends, so a commit's fsync (synchronous=FULL) blocks
 * this thread, not the gateway's event loop. While one commit runs, the
 * next appends queue up in the store and go together in the next commit.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { AuditEntry } from "../core/audit-record.js";
import { type AppendOutcome, prepareAppend, prepareWriter } from "./sqlite-audit-append.js";

export interface WriterData {
  file: string;
  synchronous: "full" | "normal";
  busyTimeoutMs: number;
}

/**
 * Entries travel as the JSON text the store made of them: cloning one
 * string per entry costs the gateway's thread far less than a structured
 * clone of the object graph (about a tenth of its busy time before).
 */
export interface WriterRequest {
  batch: number;
  entries: string[];
}

/** Only what the store cannot know itself comes back: the seal, or why it failed. */
export type WriterOutcome = { ok: true; seq: number; prev_hash: string; hash: string } | { ok: false; message: string };

export interface WriterReply {
  batch: number;
  outcomes: WriterOutcome[];
}

const slim = (outcome: AppendOutcome): WriterOutcome =>
  outcome.ok ? { ok: true, seq: outcome.record.seq, prev_hash: outcome.record.prev_hash, hash: outcome.record.hash } : outcome;

const data = workerData as WriterData;
const db = new Database(data.file, { fileMustExist: true });
prepareWriter(db, data);
const commit = prepareAppend(db);

parentPort!.on("message", (message: WriterRequest | "close") => {
  if (message === "close") {
    db.close();
    parentPort!.close();
    return;
  }
  // The store serialised these entries itself (JSON.stringify of a validated entry), so they parse.
  const entries = message.entries.map((json) => JSON.parse(json) as AuditEntry);
  const reply: WriterReply = { batch: message.batch, outcomes: commit(entries).map(slim) };
  parentPort!.postMessage(reply);
});
