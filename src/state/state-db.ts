/**
 * @module The gateway's state database: `<data>/state.sqlite`, home of the
 * stores that hold work for a human (approval requests, quarantined
 * outputs). One design for all of them, so a PostgreSQL store can implement
 * each interface the same way later:
 *
 * - every store is an interface (the role) and a SQLite class (this adapter);
 * - an item's life is a small state machine, and every transition is one
 *   compare-and-set `UPDATE … WHERE id = ? AND state = ?`: two gateways (or
 *   two concurrent calls) racing for the same transition see exactly one
 *   winner, with no lock held across an await;
 * - commits are fsynced (WAL, synchronous=FULL) before a transition is
 *   reported, so a SIGKILL loses no answered transition;
 * - times are stored as UTC RFC 3339 text with milliseconds, so text order
 *   is time order.
 */
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describeThrown, McpgovError } from "../core/errors.js";

export const STATE_FILE = "state.sqlite";

export interface StateDbOptions {
  /** Create the folder and database if missing (default true). Readers such as the CLI pass false. */
  create?: boolean;
  /** How long to wait for another process's write (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Opens `<dataDir>/state.sqlite` in WAL mode with fsynced commits; the file is readable by its owner only. */
export function openStateDb(dataDir: string, options: StateDbOptions = {}): Database.Database {
  const file = join(dataDir, STATE_FILE);
  const create = options.create ?? true;
  if (!create && !existsSync(file)) {
    throw new McpgovError("io_error", `no state store in ${dataDir} (${STATE_FILE} not found); point --data-dir or MCPGOV_DATA_DIR at the gateway's data folder`);
  }
  try {
    if (create) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = new Database(file, { fileMustExist: !create });
    // Held outputs may carry the very secrets they were withheld for. SQLite
    // gives its -wal and -shm files the database file's mode.
    if (create) chmodSync(file, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma("foreign_keys = ON");
    return db;
  } catch (cause) {
    throw new McpgovError("io_error", `state store: cannot open ${file}: ${describeThrown(cause)}`, { cause });
  }
}
