/** @module Turns OPA's error output into diagnostics that name the file and line. */
import { relative } from "node:path";
import type { Diagnostic } from "../core/errors.js";
import { EXCLUDED_BUILTINS } from "./capabilities.js";

interface OpaRefTerm {
  type?: string;
  value?: unknown;
}

interface OpaType {
  type?: string;
  of?: OpaType[];
}

interface OpaJsonError {
  message?: string;
  code?: string;
  location?: { file?: string; row?: number; col?: number };
  /** Type errors: `undefined ref` carries ref, pos and oneOf; `match error` the two types a and b. */
  details?: { ref?: OpaRefTerm[]; pos?: number; oneOf?: string[]; a?: OpaType; b?: OpaType };
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
    const outside = outsideRoots(error.message ?? "", mapFile);
    if (outside) return outside;
    const file = error.location?.file ? displayPath(mapFile(error.location.file)) : undefined;
    return {
      ...(file ? { file } : {}),
      ...(error.location?.row ? { line: error.location.row } : {}),
      ...(error.location?.col ? { column: error.location.col } : {}),
      code: error.code ?? "opa_error",
      message: withTypeDetails(explain(error.message ?? "unknown error", knownBuiltins), error.details),
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
  const outside = outsideRoots(output, mapFile);
  if (outside) return [outside];
  const text = output.replace(/^error:\s*/i, "").trim();
  return [{ code: "opa_error", message: text || "opa failed without a message" }];
}

/**
 * OPA's refusal of a package or data outside the manifest's roots, said in
 * mcpgov's terms with the user's file. A bundle claims only data.mcpgov.
 */
function outsideRoots(message: string, mapFile: FileMapper): Diagnostic | undefined {
  const hint = "an mcpgov bundle claims only the root mcpgov, so OPA can load it beside other bundles";
  const pkg = /roots \[[^\]]*\] do not permit 'package ([^']+)' in module '([^']+)'/.exec(message);
  if (pkg) {
    return { file: displayPath(mapFile(pkg[2]!)), code: "bundle_root_error", message: `package ${pkg[1]} is outside data.mcpgov (${hint}); name it mcpgov.…` };
  }
  const data = /roots \[[^\]]*\] do not permit data at path '\/?([^']*)'/.exec(message);
  if (data) {
    const folder = data[1]!;
    const candidates = ["data.json", "data.yaml", "data.yml"].map((name) => (folder ? `${folder}/${name}` : name));
    const file = candidates.map((c) => mapFile(c)).find((mapped, i) => mapped !== candidates[i]);
    return {
      ...(file ? { file: displayPath(file) } : {}),
      code: "bundle_root_error",
      message: `data at data.${folder.split("/").join(".")} is outside data.mcpgov (${hint}); move it under mcpgov/`,
    };
  }
  return undefined;
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(absolute: string): string {
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd && !fromCwd.startsWith("..") ? fromCwd : absolute;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function refText(terms: readonly OpaRefTerm[]): string {
  return terms
    .map((term, i) => {
      if (i === 0) return String(term.value);
      if (term.type === "string" && typeof term.value === "string") return IDENTIFIER.test(term.value) ? `.${term.value}` : `[${JSON.stringify(term.value)}]`;
      return "[_]";
    })
    .join("");
}

function typeText(type: OpaType | undefined): string {
  if (!type?.type) return "unknown";
  if (type.type === "any" && type.of && type.of.length > 0) return type.of.map(typeText).join(" or ");
  return type.type;
}

/**
 * OPA's type errors say little by themselves ("match error"); their details
 * say what the input has, or which two types met. The input types come
 * from the envelope's schemas (input-types.ts).
 */
function withTypeDetails(message: string, details: OpaJsonError["details"]): string {
  if (!details) return message;
  if (message.startsWith("undefined ref") && details.ref && details.pos !== undefined && details.oneOf) {
    const parent = refText(details.ref.slice(0, details.pos));
    const missing = details.ref[details.pos]?.value;
    return `${message} (${parent} has no ${JSON.stringify(missing)}; it has ${details.oneOf.join(", ")})`;
  }
  if (message === "match error" && details.a && details.b) {
    return `${message}: ${typeText(details.a)} compared with ${typeText(details.b)}, which can never be equal`;
  }
  return message;
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
