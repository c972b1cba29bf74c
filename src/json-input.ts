/** @module Reads JSON documents from files, reporting a syntax error by file, line and column. */
import { readFile } from "node:fs/promises";
import { McpgovError } from "./core/errors.js";

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return { line, column: offset - lastBreak };
}

/** Parses JSON text; a syntax error names the source, line and column (never the content). */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const message = (cause as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineAndColumn(text, Number(position[1])) : undefined;
    // V8 quotes a snippet of the text in some messages; the text may hold secrets.
    const detail = message.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*$/s, "");
    throw new McpgovError("input_invalid", `${source}${where ? `:${where.line}:${where.column}` : ""}: invalid JSON: ${detail}`, {
      data: { diagnostics: [{ file: source, ...(where ? { line: where.line, column: where.column } : {}), message: `invalid JSON: ${detail}` }] },
    });
  }
}

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  return parseJsonText(text, path);
}
