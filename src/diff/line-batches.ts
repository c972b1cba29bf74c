/**
 * @module Reads a corpus (the files envelopeFiles names) as batches of
 * raw lines with their line numbers, for the parallel diff: the lines go
 * to worker threads unparsed. The lines and numbers are exactly those
 * streamEnvelopes yields (readline's breaks: \n, \r\n and a lone \r; a BOM
 * dropped from line 1; blank lines skipped but counted), without
 * readline's per-line events.
 */
import { createReadStream } from "node:fs";
import { ioError } from "./envelope-stream.js";

export interface LineBatch {
  file: string;
  /** Non-blank lines, as read (no line break). */
  lines: string[];
  /** The 1-based line number of each of `lines`. */
  numbers: number[];
}

export interface BatchLimits {
  /** Most lines in a batch. */
  lines: number;
  /** A batch ends once its text reaches this many characters. */
  chars: number;
  /** Bytes read from the file at a time (tests make it small to split lines and \r\n across reads). */
  readBytes?: number;
}

export const DEFAULT_BATCH: BatchLimits = { lines: 256, chars: 256 * 1024 };

/** Collects one file's lines into batches. */
class Batcher {
  private line = 0;
  private batch: LineBatch;
  private chars = 0;
  readonly full: LineBatch[] = [];

  constructor(
    private readonly file: string,
    private readonly limits: BatchLimits,
  ) {
    this.batch = { file, lines: [], numbers: [] };
  }

  /** One line between breaks (a line ending in \r\n arrives without its \n; the \r is a break too). */
  push(text: string): void {
    if (text.includes("\r")) {
      const parts = text.split("\r");
      // "a\r" is the line "a" ended by \r (or \r\n): the empty tail is no line.
      if (parts[parts.length - 1] === "") parts.pop();
      for (const part of parts) this.add(part);
    } else {
      this.add(text);
    }
  }

  private add(raw: string): void {
    this.line++;
    const text = this.line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    // Blank lines (a trailing newline, a separator) carry no call.
    if (text.trim() === "") return;
    this.batch.lines.push(text);
    this.batch.numbers.push(this.line);
    this.chars += text.length;
    if (this.batch.lines.length >= this.limits.lines || this.chars >= this.limits.chars) this.flush();
  }

  flush(): void {
    if (this.batch.lines.length === 0) return;
    this.full.push(this.batch);
    this.batch = { file: this.file, lines: [], numbers: [] };
    this.chars = 0;
  }
}

async function* fileBatches(file: string, limits: BatchLimits): AsyncGenerator<LineBatch> {
  // The same decoding as streamEnvelopes: a utf8 stream, so bad bytes read the same.
  const input = createReadStream(file, { encoding: "utf8", highWaterMark: limits.readBytes ?? 1024 * 1024 });
  const batcher = new Batcher(file, limits);
  let rest = "";
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
        batcher.push(text.slice(start, nl));
        start = nl + 1;
      }
      // The last line waits for its break; a \r at a chunk's end may be the start of \r\n.
      rest = text.slice(start);
      yield* batcher.full.splice(0);
    }
  } catch (cause) {
    throw ioError(file, cause);
  } finally {
    input.destroy();
  }
  if (rest !== "") batcher.push(rest);
  batcher.flush();
  yield* batcher.full.splice(0);
}

/** Every non-blank line of `files` (from envelopeFiles), in batches, in order. */
export async function* streamLineBatches(files: readonly string[], limits: BatchLimits = DEFAULT_BATCH): AsyncGenerator<LineBatch> {
  for (const file of files) yield* fileBatches(file, limits);
}
