/**
 * @module Old spellings of options and environment variables: still honoured,
 * hidden from --help, each announced with one warning line on stderr.
 */
import type { Argv } from "yargs";
import { McpgovError } from "../src/core/errors.js";
import type { CliIo } from "./io.js";

/** Registers `--old` as a hidden string option; read it with renamedFlag. */
export function hiddenRenamedOption<T>(y: Argv<T>, old: string, now: string): Argv<T> {
  return y.option(old, { type: "string", hidden: true, describe: `deprecated spelling of --${now}` }) as unknown as Argv<T>;
}

/** The value of `--now`, or of its deprecated `--old` (with a warning); both at once is a usage error. */
export function renamedFlag(io: CliIo, names: { old: string; now: string }, now: string | undefined, old: string | undefined): string | undefined {
  if (old === undefined) return now;
  io.err(`mcpgov: warning: --${names.old} is deprecated, use --${names.now}`);
  if (now !== undefined) throw new McpgovError("usage", `give --${names.now} only (--${names.old} is its deprecated spelling)`);
  return old;
}

/** `now` from the environment, else the deprecated `old` (with a warning). */
export function renamedEnv(io: CliIo, now: string, old: string): string | undefined {
  const current = io.env[now];
  if (current) return current;
  const previous = io.env[old];
  if (!previous) return undefined;
  io.err(`mcpgov: warning: ${old} is deprecated, use ${now}`);
  return previous;
}
