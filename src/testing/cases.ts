/**
 * @module Finds and reads case files and the envelopes they point to. All
 * problems of all files are collected and thrown together, each with the
 * case file's name and line, so one run shows everything to fix.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Diagnostic, McpgovError } from "../core/errors.js";
import { displayPath } from "../toolchain/diagnostics.js";
import { parseCaseFile, type EnvelopeSource, type ParsedCase } from "./case-file.js";
import type { Expectation } from "./expectation.js";

/** Files `mcpgov test` picks up by itself from a folder. */
export const CASE_FILE_PATTERN = /\.cases\.(ya?ml|json)$/i;

export interface TestCase {
  name: string;
  /** The case file, absolute. */
  file: string;
  line: number;
  envelope: unknown;
  expect: Expectation;
}

async function walk(dir: string, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, found);
    else if (entry.isFile() && CASE_FILE_PATTERN.test(entry.name)) found.push(path);
  }
}

/** Expands folders to the case files under them; a file named explicitly is taken whatever its name. */
export async function findCaseFiles(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths.map((p) => resolve(p))) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      throw new McpgovError("io_error", `case file or folder not found: ${displayPath(path)}`);
    }
    if (isDirectory) await walk(path, found);
    else found.push(path);
  }
  return [...new Set(found)];
}

class EnvelopeFiles {
  private readonly texts = new Map<string, Promise<string>>();

  read(path: string): Promise<string> {
    let text = this.texts.get(path);
    if (!text) {
      text = readFile(path, "utf8");
      this.texts.set(path, text);
    }
    return text;
  }
}

/** An audit or decision log record carries the envelope under `envelope`; a bare envelope is its own record. */
function envelopeOf(record: unknown): unknown {
  if (record && typeof record === "object" && !Array.isArray(record) && "envelope" in record) {
    const inner = (record as { envelope: unknown }).envelope;
    if (inner && typeof inner === "object") return inner;
  }
  return record;
}

function callIdOf(record: unknown): unknown {
  const envelope = envelopeOf(record) as { call?: { id?: unknown } } | null;
  return envelope?.call?.id ?? (record as { call_id?: unknown } | null)?.call_id;
}

function parseRecord(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The message of JSON.parse may quote the record, which may hold secrets.
    throw new Error(`${where} is not valid JSON`);
  }
}

function pick(source: Extract<EnvelopeSource, { kind: "file" }>, text: string): unknown {
  const jsonl = /\.(jsonl|ndjson)$/i.test(source.path);
  if (!jsonl) {
    if (source.line !== undefined) throw new Error("line applies to JSONL files (.jsonl, .ndjson) only");
    const document = parseRecord(text, source.path);
    if (source.callId === undefined) return document;
    if (!Array.isArray(document)) throw new Error(`call_id needs a JSONL file or a JSON array, and ${source.path} is not`);
    const found = document.find((record) => callIdOf(record) === source.callId);
    if (found === undefined) throw new Error(`no record with call id ${JSON.stringify(source.callId)} in ${source.path}`);
    return envelopeOf(found);
  }
  const lines = text.split(/\r?\n/);
  if (source.line !== undefined) {
    const line = lines[source.line - 1];
    if (line === undefined || line.trim() === "") throw new Error(`${source.path} has no record on line ${source.line}`);
    return envelopeOf(parseRecord(line, `${source.path}:${source.line}`));
  }
  if (source.callId === undefined) throw new Error("a JSONL file needs line or call_id to pick one record");
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const record = parseRecord(line, `${source.path}:${index + 1}`);
    if (callIdOf(record) === source.callId) return envelopeOf(record);
  }
  throw new Error(`no record with call id ${JSON.stringify(source.callId)} in ${source.path}`);
}

async function resolveEnvelope(parsed: ParsedCase, caseFile: string, files: EnvelopeFiles): Promise<unknown> {
  const source = parsed.envelope;
  if (source.kind === "inline") return source.envelope;
  const path = resolve(dirname(caseFile), source.path);
  let text: string;
  try {
    text = await files.read(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `file not found: ${source.path}` : `cannot read ${source.path}: ${code ?? (cause as Error).message}`, { cause });
  }
  return pick(source, text);
}

/** Reads the case files; throws input_invalid with every problem found, each at its file and line. */
export async function loadCases(caseFiles: readonly string[]): Promise<TestCase[]> {
  const cases: TestCase[] = [];
  const diagnostics: Diagnostic[] = [];
  const envelopeFiles = new EnvelopeFiles();
  for (const file of caseFiles) {
    const shown = displayPath(file);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      diagnostics.push({ file: shown, message: `cannot read case file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}` });
      continue;
    }
    const parsed = parseCaseFile(text, shown);
    diagnostics.push(...parsed.diagnostics);
    for (const testCase of parsed.cases) {
      try {
        const envelope = await resolveEnvelope(testCase, file, envelopeFiles);
        cases.push({ name: testCase.name, file, line: testCase.line, envelope, expect: testCase.expect });
      } catch (error) {
        const line = testCase.envelope.kind === "file" ? testCase.envelope.fieldLine : testCase.line;
        diagnostics.push({ file: shown, line, message: `envelope_file: ${(error as Error).message}` });
      }
    }
  }
  if (diagnostics.length > 0) {
    // The entry point prints each diagnostic as `file:line: field: problem` under this heading.
    const heading = diagnostics.length === 1 ? "invalid case file" : `invalid case files (${diagnostics.length} problems)`;
    throw new McpgovError("input_invalid", heading, { data: { diagnostics } });
  }
  return cases;
}
