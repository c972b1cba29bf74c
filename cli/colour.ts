/**
 * @module The one place the CLI decides on colour and writes escape codes.
 *
 * As Node decides for its own output: FORCE_COLOR forces colour on (0 or
 * false forces it off), else NO_COLOR (any non-empty value) turns it off,
 * else colour only on a terminal whose TERM is not "dumb".
 */
import type { CliIo } from "./io.js";

export type Style = "red" | "green" | "yellow" | "bold" | "dim";
export type Paint = (text: string, style: Style) => string;

const CODES: Record<Style, [number, number]> = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] };

export function colourEnabled(env: CliIo["env"], isTerminal: boolean): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return !["0", "false"].includes(force.toLowerCase());
  if (env["NO_COLOR"]) return false;
  return isTerminal && env["TERM"] !== "dumb";
}

export const plain: Paint = (text) => text;

export const ansi: Paint = (text, style) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`;

/** The paint for one stream: stdout or stderr. */
export function paintFor(io: CliIo, stream: "stdout" | "stderr"): Paint {
  return colourEnabled(io.env, io.tty?.[stream] ?? false) ? ansi : plain;
}
