/**
 * @module The case file format: recorded envelopes and the decision each
 * must get. Parsing is pure (text in, cases and diagnostics out); every
 * diagnostic names the file, the line and the field.
 *
 * ```yaml
 * cases:
 *   - name: read on a registered server
 *     envelope_file: examples/1-read-approved-server.json   # or envelope: {…} inline
 *     expect:
 *       decision: ALLOW
 *       rules: [allow-read-registered-server]               # exact, any order
 *       constraints: {max_runtime_sec: 60}                  # subset unless constraints_exact: true
 * ```
 */
import { z } from "zod";
import { type Diagnostic, McpgovError } from "../core/errors.js";
import { issuePath } from "../core/issues.js";
import { parseJsonText } from "../json-input.js";
import { ExpectationSchema, type Expectation } from "./expectation.js";
import { lineAt, lineOfPath, locateDocument, type LocatedDocument } from "./source-lines.js";

export const TestCaseSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    envelope: z.record(z.string(), z.unknown()).optional().describe("The envelope, inline."),
    envelope_file: z.string().min(1).optional().describe("A JSON or JSONL file, relative to the case file."),
    line: z.number().int().positive().optional().describe("JSONL: the 1-based line of the record to use."),
    call_id: z.string().min(1).optional().describe("JSONL or JSON array: the record whose call.id is this."),
    expect: ExpectationSchema,
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.envelope === undefined) === (value.envelope_file === undefined)) {
      ctx.addIssue({ code: "custom", path: ["envelope"], message: "give exactly one of envelope or envelope_file" });
    }
    if (value.envelope_file === undefined) {
      for (const key of ["line", "call_id"] as const) {
        if (value[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "only applies with envelope_file" });
      }
    } else if (value.line !== undefined && value.call_id !== undefined) {
      ctx.addIssue({ code: "custom", path: ["line"], message: "give line or call_id, not both" });
    }
  });

export const CaseFileSchema = z.object({ cases: z.array(TestCaseSchema).min(1, "a case file lists at least one case") }).strict();

/** Where a case's envelope comes from, as written in the case file. */
export type EnvelopeSource =
  | { kind: "inline"; envelope: Record<string, unknown> }
  | { kind: "file"; path: string; line?: number; callId?: string; fieldLine: number };

export interface ParsedCase {
  name: string;
  /** The line the case starts on. */
  line: number;
  envelope: EnvelopeSource;
  expect: Expectation;
}

export interface ParsedCaseFile {
  cases: ParsedCase[];
  diagnostics: Diagnostic[];
}

function isJsonFile(file: string): boolean {
  return file.toLowerCase().endsWith(".json");
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** zod says "expected string, received undefined" or "invalid option"; for a missing field a person says "required". */
function problem(issue: z.ZodError["issues"][number], data: unknown): string {
  if ((issue.code === "invalid_type" || issue.code === "invalid_value") && valueAt(data, issue.path) === undefined) return "required";
  return issue.message;
}

function issueDiagnostics(error: z.ZodError, data: unknown, file: string, located: LocatedDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of error.issues) {
    // An unknown key is reported at the key, which is where the typo is.
    const paths = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of paths) {
      const message = issue.code === "unrecognized_keys" ? "unknown field" : problem(issue, data);
      out.push({ file, line: lineOfPath(located, path), message: `${issuePath(path)}: ${message}` });
    }
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function parseData(text: string, file: string, located: LocatedDocument): { data?: unknown; diagnostics: Diagnostic[] } {
  if (isJsonFile(file)) {
    try {
      return { data: parseJsonText(text, file), diagnostics: [] };
    } catch (error) {
      if (error instanceof McpgovError && error.data.diagnostics) {
        // Some V8 messages give no position; the YAML parser's view of the same text usually does.
        const yamlError = located.doc.errors[0];
        const line = yamlError ? lineAt(located, yamlError.pos[0]) : undefined;
        return { diagnostics: error.data.diagnostics.map((d) => (d.line === undefined && line !== undefined ? { ...d, line } : d)) };
      }
      throw error;
    }
  }
  if (located.doc.errors.length > 0) {
    return {
      diagnostics: located.doc.errors.map((e) => ({ file, line: lineAt(located, e.pos[0]), message: `invalid YAML: ${e.message}` })),
    };
  }
  return { data: located.doc.toJS({ maxAliasCount: 1000 }) as unknown, diagnostics: [] };
}

/** Parses and validates one case file. `file` is used in diagnostics and to tell JSON from YAML. */
export function parseCaseFile(text: string, file: string): ParsedCaseFile {
  const located = locateDocument(text);
  const { data, diagnostics } = parseData(text, file, located);
  if (diagnostics.length > 0) return { cases: [], diagnostics };

  const parsed = CaseFileSchema.safeParse(data ?? {});
  if (!parsed.success) return { cases: [], diagnostics: issueDiagnostics(parsed.error, data, file, located) };

  const cases: ParsedCase[] = [];
  const seen = new Map<string, number>();
  const problems: Diagnostic[] = [];
  parsed.data.cases.forEach((testCase, index) => {
    const line = lineOfPath(located, ["cases", index]);
    const first = seen.get(testCase.name);
    if (first !== undefined) {
      problems.push({ file, line: lineOfPath(located, ["cases", index, "name"]), message: `cases[${index}].name: duplicate case name (first used on line ${first})` });
    }
    seen.set(testCase.name, first ?? line);
    const envelope: EnvelopeSource = testCase.envelope
      ? { kind: "inline", envelope: testCase.envelope }
      : {
          kind: "file",
          path: testCase.envelope_file!,
          ...(testCase.line !== undefined ? { line: testCase.line } : {}),
          ...(testCase.call_id !== undefined ? { callId: testCase.call_id } : {}),
          fieldLine: lineOfPath(located, ["cases", index, "envelope_file"]),
        };
    cases.push({ name: testCase.name, line, envelope, expect: testCase.expect });
  });
  return problems.length > 0 ? { cases: [], diagnostics: problems } : { cases, diagnostics: [] };
}
