/** @module What a command may touch of the terminal: results to out, diagnostics to err. */
import { Readable } from "node:stream";
import { McpgovError } from "../src/core/errors.js";
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads standard input (for `-` arguments). */
  stdin(): Promise<string>;
  /** Standard input as a stream, for input too large to hold (`diff --envelopes -`); absent: use stdin(). */
  stdinStream?(): NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  /** Which streams are terminals (colour and the rewriting progress line depend on it); absent: neither. */
  tty?: { stdout: boolean; stderr: boolean };
  /** Writes to stderr as is, without adding a newline: the progress line rewrites itself with \r. */
  errRaw?(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  stdinStream: () => process.stdin.setEncoding("utf8"),
  env: process.env,
  tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  errRaw: (text) => process.stderr.write(text),
};

/** A command's outcome; only the entry point turns it into process.exitCode. */
export type ExitCode = 0 | 1 | 2;

/** Standard input as a stream, from the terminal's stream or from the whole text. */
export function stdinStreamOf(io: CliIo): () => NodeJS.ReadableStream {
  return io.stdinStream ?? (() => Readable.from((async function* () {
    yield await io.stdin();
  })()));
}

/**
 * Refuses `-` where a path is needed: a bundle archive is read more than
 * once (hashed, loaded, its signature checked) and a policy or case folder
 * is walked, which a pipe cannot do.
 */
export function pathOnly(value: string | undefined, what: string): void {
  // yargs hands a lone `-` positional over as "": both mean no path.
  if (value === "-" || value === "") {
    throw new McpgovError("usage", `${what}: needs a file path; - (standard input) is not accepted here (only eval --input, diff --envelopes and scan read stdin)`);
  }
}
