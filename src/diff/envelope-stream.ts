/**
 * @module Streams recorded envelopes from a JSONL file, or from every
 * `.jsonl` file of a folder, one line at a time: a corpus of millions of
 * calls never sits in memory at once.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { McpgovError } from "../core/errors.js";
import type { LineRef } from "./diff.js";

export type EnvelopeLine = (LineRef & { kind: "envelope"; value: unknown }) | (LineRef & { kind: "invalid"; message: string });

/** A corpus file that cannot be read, named by path and error code. */
export function ioError(path: string, cause: unknown): McpgovError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const what = code === "ENOENT" ? "not found" : (code ?? (cause as Error)?.message ?? String(cause));
  return new McpgovError("io_error", `cannot read envelopes from ${path}: ${what}`, { cause });
}

/** The files to read, in a stable order: the file itself, or a folder's `.jsonl` files by name. */
export async function envelopeFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw ioError(path, cause);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true }).catch((cause: unknown) => {
    throw ioError(path, cause);
  });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".jsonl"))
    .map((e) => e.name)
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new McpgovError("input_invalid", `${path}: folder holds no .jsonl files`);
  return files;
}

/** V8 quotes part of the text in some JSON errors; a recorded call may hold secrets, so keep only the kind of error. */
function jsonErrorDetail(error: unknown, text: string): { column?: number; detail: string } {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  const detail = message.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*$/s, "").replace(/ \(line \d+ column \d+\)$/, "");
  if (position) return { column: Math.min(Number(position[1]), text.length) + 1, detail };
  return { detail };
}

/** Parses one line; invalid JSON becomes an `invalid` item naming file, line and column, never the content. */
export function parseEnvelopeLine(text: string, where: LineRef): EnvelopeLine {
  try {
    return { kind: "envelope", value: JSON.parse(text), ...where };
  } catch (error) {
    const { column, detail } = jsonErrorDetail(error, text);
    return { kind: "invalid", ...where, message: `invalid JSON${column !== undefined ? ` at column ${column}` : ""}: ${detail}` };
  }
}

async function* streamFile(file: string, open: () => NodeJS.ReadableStream = () => createReadStream(file, { encoding: "utf8" })): AsyncGenerator<EnvelopeLine> {
  const input = open();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      // Blank lines (a trailing newline, a separator) carry no call.
      if (text.trim() === "") continue;
      yield parseEnvelopeLine(text, { file, line });
    }
  } catch (cause) {
    throw ioError(file, cause);
  } finally {
    lines.close();
    if (input !== process.stdin && "destroy" in input && typeof input.destroy === "function") input.destroy();
  }
}

/**
 * Yields every non-blank line of `path` (a JSONL file or a folder of them)
 * as a parsed value or as an invalid line; whether an invalid line stops
 * the run is the caller's choice.
 */
export async function* streamEnvelopes(path: string, stdin?: () => NodeJS.ReadableStream): AsyncGenerator<EnvelopeLine> {
  // `-` is standard input, read as it comes (lines are named <stdin>:N).
  if (path === "-") {
    if (!stdin) throw new McpgovError("usage", "--envelopes -: standard input is not available here");
    yield* streamFile("<stdin>", stdin);
    return;
  }
  for (const file of await envelopeFiles(path)) yield* streamFile(file);
}
