/** @module Turns OPA's error output into diagnostics that name the file and line. */
import { relative } from "node:path";
import type { Diagnostic } from "../core/errors.js";
import { EXCLUDED_BUILTINS } from "./capabilities.js";

interface OpaJsonError {
  message?: string;
  code?: string;
  location?: { file?: string; row?: number; col?: number };
}

/** Maps a path as opa printed it (inside the staged folder) to the user's file. */
export type FileMapper = (opaPath: string) => string;

/**
 * Parses `opa check --format json` output. File paths are mapped back from
 * the staged folder and made relative to the working directory.
 */
export function parseOpaErrors(output: string, mapFile: FileMapper, knownBuiltins: Set<string>): Diagnostic[] {
  let parsed: { errors?: OpaJsonError[] } | undefined;
  try {
    parsed = JSON.parse(output) as { errors?: OpaJsonError[] };
  } catch {
    parsed = undefined;
  }
  if (!parsed?.errors) return parseOpaText(output, mapFile);
  return parsed.errors.map((error) => {
    const file = error.location?.file ? displayPath(mapFile(error.location.file)) : undefined;
    return {
      ...(file ? { file } : {}),
      ...(error.location?.row ? { line: error.location.row } : {}),
      ...(error.location?.col ? { column: error.location.col } : {}),
      code: error.code ?? "opa_error",
      message: explain(error.message ?? "unknown error", knownBuiltins),
    };
  });
}

/** Text errors such as `error: 1 error occurred: x.rego:6: rego_type_error: …`. */
function parseOpaText(output: string, mapFile: FileMapper): Diagnostic[] {
  const found: Diagnostic[] = [];
  const pattern = /([^\s:]+\.rego):(\d+)(?::(\d+))?: (\w+): ([^\n]+)/g;
  for (const match of output.matchAll(pattern)) {
    found.push({
      file: displayPath(mapFile(match[1]!)),
      line: Number(match[2]),
      ...(match[3] ? { column: Number(match[3]) } : {}),
      code: match[4]!,
      message: match[5]!.trim(),
    });
  }
  if (found.length > 0) return found;
  const text = output.replace(/^error:\s*/i, "").trim();
  return [{ code: "opa_error", message: text || "opa failed without a message" }];
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(absolute: string): string {
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd && !fromCwd.startsWith("..") ? fromCwd : absolute;
}

function explain(message: string, knownBuiltins: Set<string>): string {
  const undefinedFunction = /^undefined function (\S+)$/.exec(message);
  if (!undefinedFunction) return message;
  const name = undefinedFunction[1]!;
  const excluded = EXCLUDED_BUILTINS[name];
  if (excluded) return `builtin ${name} is not allowed in mcpgov bundles: ${excluded}`;
  if (knownBuiltins.has(name)) {
    return `builtin ${name} is not supported by the in-process WASM engine (run \`mcpgov capabilities\` for the list)`;
  }
  return message;
}
