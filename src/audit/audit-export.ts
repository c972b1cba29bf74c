/**
 * @module Exports audit records as JSONL: the stored (masked) envelopes, as
 * input for `mcpgov diff` and `mcpgov test`, and OPA-shaped decision logs.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { describeThrown, McpgovError } from "../core/errors.js";
import type { AuditQuery, AuditStore } from "./audit-store.js";
import { toDecisionLogEvent } from "./decision-log.js";
import { isCallRecord } from "../core/audit-record.js";

/** Where lines go: a file, or a caller-provided writer (stdout). */
export interface JsonlSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

/** Writes to a file with back-pressure, so a million-record export stays in bounded memory. */
export function fileSink(path: string): JsonlSink {
  const stream: WriteStream = createWriteStream(path, { encoding: "utf8" });
  let failure: unknown;
  stream.on("error", (error) => (failure = error));
  const check = () => {
    if (failure !== undefined) throw new McpgovError("io_error", `cannot write ${path}: ${describeThrown(failure)}`, { cause: failure });
  };
  return {
    async write(line) {
      check();
      if (!stream.write(`${line}\n`)) await Promise.race([once(stream, "drain"), once(stream, "error")]);
      check();
    },
    async close() {
      // After an error the stream is already destroyed; waiting for close would hang.
      if (failure === undefined && !stream.closed) {
        stream.end();
        await Promise.race([once(stream, "close"), once(stream, "error")]);
      }
      check();
    },
  };
}

export function lineSink(writeLine: (line: string) => void): JsonlSink {
  return { write: async (line) => writeLine(line), close: async () => undefined };
}

export interface ExportTargets {
  envelopes?: JsonlSink;
  decisionLog?: JsonlSink;
}

/** Streams matching records to the targets; returns how many records were exported. */
export async function exportAudit(store: AuditStore, filter: AuditQuery, targets: ExportTargets): Promise<number> {
  let count = 0;
  try {
    // Call records only: an intent repeats its call's envelope, and events have none.
    for await (const record of store.query({ ...filter, kind: "call" })) {
      if (!isCallRecord(record)) continue;
      if (targets.envelopes) await targets.envelopes.write(JSON.stringify(record.envelope));
      if (targets.decisionLog) await targets.decisionLog.write(JSON.stringify(toDecisionLogEvent(record)));
      count++;
    }
  } finally {
    await Promise.all([targets.envelopes?.close(), targets.decisionLog?.close()]);
  }
  return count;
}
