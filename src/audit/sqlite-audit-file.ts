/**
 * @module The SQLite audit database as a file: readable by its owner only,
 * and what a failed write to it means for a caller.
 */
import { chmodSync, existsSync, statSync } from "node:fs";
import { McpgovError } from "../core/errors.js";

/**
 * The chain holds callers, tools and arguments, so the database is readable
 * by its owner only, like state.sqlite. SQLite gives the -wal and -shm files
 * it creates the database file's mode; looser ones left by an older version
 * are tightened here. A reader (`create: false`) tightens only files it owns;
 * the gateway's open fails if it cannot.
 */
export function restrictToOwner(file: string, create: boolean): void {
  const uid = process.getuid?.();
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if ((stat.mode & 0o077) === 0 || (!create && uid !== undefined && stat.uid !== uid)) continue;
    chmodSync(path, 0o600);
  }
}

/**
 * Why a commit failed, for the caller: a store that cannot take records now
 * (locked, full, I/O) is `audit_unavailable`, so the gateway can refuse the
 * call promptly; anything else stays io_error. The message names the
 * condition and SQLite's words, never the entry.
 */
export function appendError(failure: { message: string; code?: string }, busyTimeoutMs: number): McpgovError {
  const code = failure.code ?? "";
  const why =
    code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code === "SQLITE_LOCKED"
      ? `the database is locked by another connection (waited ${busyTimeoutMs} ms)`
      : code === "SQLITE_FULL"
        ? "the disk (or the database's size limit) is full"
        : code.startsWith("SQLITE_IOERR") || code === "SQLITE_READONLY" || code.startsWith("SQLITE_READONLY_") || code === "SQLITE_CANTOPEN"
          ? "the database file cannot be written"
          : undefined;
  if (why === undefined) return new McpgovError("io_error", `audit store: append failed: ${failure.message}`, { data: { sqlite_code: code } });
  return new McpgovError("audit_unavailable", `audit store unavailable: ${why} (${code}: ${failure.message})`, { data: { sqlite_code: code } });
}
