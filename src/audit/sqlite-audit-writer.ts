/**
 * @module The audit store's writer thread: its own connection commits the
 * batches the store sends, so a commit's fsync (synchronous=FULL) blocks
 * this thread, not the gateway's event loop. While one commit runs, the
 * next appends queue up in the store and go together in the next commit.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { AuditEntry } from "../core/audit-record.js";
import { prepareAppend, prepareWriter } from "./sqlite-audit-append.js";

export interface WriterData {
  file: string;
  synchronous: "full" | "normal";
  busyTimeoutMs: number;
}

export interface WriterRequest {
  batch: number;
  entries: AuditEntry[];
}

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
  parentPort!.postMessage({ batch: message.batch, outcomes: commit(message.entries) });
});
