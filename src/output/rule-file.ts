/** @module Reads an operator rule file from disk; the only I/O of output scanning. */
import { readFile } from "node:fs/promises";
import { McpgovError } from "../core/errors.js";
import { BUILTIN_RULES } from "./builtin-rules.js";
import type { ScanRule } from "./scan-rule.js";
import { mergeRules, parseUserRules } from "./user-rules.js";

/** The built-in rules merged with the rules of `path`; a bad file is a config_invalid error. */
export async function loadScanRules(path: string | undefined): Promise<readonly ScanRule[]> {
  if (path === undefined) return BUILTIN_RULES;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  const result = parseUserRules(text, path);
  if (!result.ok) throw new McpgovError("config_invalid", `${path}: invalid scan rules`, { data: { diagnostics: result.diagnostics } });
  return mergeRules(BUILTIN_RULES, result.rules);
}
