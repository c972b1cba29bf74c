/**
 * @module Runs the Rego unit tests with the real `opa test` on a staged
 * policy, and reads its JSON results and its coverage report.
 */
import { readFile } from "node:fs/promises";
import { McpgovError } from "../core/errors.js";
import type { FailedExpression, RegoTestResult } from "../testing/results.js";
import { stagedFileMapper } from "./build.js";
import { opaBuiltinNames } from "./capabilities.js";
import { parseOpaErrors } from "./diagnostics.js";
import { runOpa } from "./opa.js";
import type { StagedPolicy } from "./stage.js";

interface OpaLocation {
  file?: string;
  row?: number;
  col?: number;
}

interface OpaTraceEvent {
  Op?: string;
  QueryID?: number;
  Location?: OpaLocation;
  Node?: { head?: { name?: string } };
}

interface OpaTestJson {
  location?: OpaLocation;
  package?: string;
  name?: string;
  fail?: boolean;
  skip?: boolean;
  error?: { code?: string; message?: string; location?: OpaLocation };
  duration?: number;
  output?: string;
  trace?: OpaTraceEvent[];
}

export interface CoverageRange {
  start: { row: number; col: number };
  end: { row: number; col: number };
}

/** `opa test --coverage` per file, keyed by the path inside the staged folder. */
export interface RegoCoverage {
  files: Record<string, { covered?: CoverageRange[]; not_covered?: CoverageRange[] }>;
}

/** The tests are type-checked as `mcpgov build` checks the policy: input typed per package (input-types.ts). */
const typeCheck = (staged: StagedPolicy): string[] => ["--schema", staged.schemaDir];

async function compileError(run: { stderr: string; stdout: string }, staged: StagedPolicy, policyDir: string): Promise<McpgovError> {
  const diagnostics = parseOpaErrors(run.stderr || run.stdout, stagedFileMapper(staged), await opaBuiltinNames());
  return new McpgovError("policy_compile_error", `the Rego tests in ${policyDir} do not compile`, { data: { diagnostics } });
}

/**
 * The expressions of the test's own body that failed. `-v` makes OPA
 * record a trace for failing tests; the test body is the query entered
 * with the test rule, and its Fail events are the lines that did not hold.
 */
function failedRows(trace: OpaTraceEvent[], name: string, file: string): number[] {
  const enter = trace.find((e) => e.Op === "Enter" && e.Node?.head?.name === name && e.Location?.file === file);
  const rows: number[] = [];
  for (const event of trace) {
    if (event.Op !== "Fail" || event.Location?.file !== file || !event.Location.row) continue;
    if (enter && event.QueryID !== enter.QueryID) continue;
    if (!rows.includes(event.Location.row)) rows.push(event.Location.row);
  }
  return rows.slice(0, 5);
}

async function sourceLines(file: string, cache: Map<string, Promise<string[]>>): Promise<string[]> {
  let lines = cache.get(file);
  if (!lines) {
    lines = readFile(file, "utf8").then(
      (text) => text.split(/\r?\n/),
      () => [],
    );
    cache.set(file, lines);
  }
  return lines;
}

function statusOf(test: OpaTestJson): RegoTestResult["status"] {
  if (test.skip) return "skip";
  if (test.error) return "error";
  if (test.fail) return "fail";
  return "pass";
}

async function opaTestJson(staged: StagedPolicy, args: string[], policyDir: string): Promise<OpaTestJson[]> {
  const run = await runOpa(["test", "-b", ".", ...typeCheck(staged), "--format", "json", ...args], { cwd: staged.dir });
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) throw await compileError(run, staged, policyDir);
  return parsed as OpaTestJson[];
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const fullName = (test: { package?: string; name?: string }): string => `${test.package ?? ""}.${test.name ?? ""}`;

/** An `opa test --run` pattern for exactly these tests (OPA matches it against data.pkg.test_name). */
function exactly(names: readonly string[]): string {
  return `^(?:${names.map(escapeRegex).join("|")})$`;
}

/**
 * Runs `opa test --format json` in the staged folder; a test file that does
 * not compile throws. Failing tests are run again with `-v`, which records
 * a trace, to say which expressions failed; tracing every test would slow
 * down a large suite for nothing.
 */
export async function runRegoTests(staged: StagedPolicy, options: { policyDir: string; run?: string }): Promise<RegoTestResult[]> {
  const parsed = await opaTestJson(staged, options.run !== undefined ? ["--run", options.run] : [], options.policyDir);
  const failing = parsed.filter((t) => t.fail && !t.error).map(fullName);
  const traces = new Map<string, OpaTraceEvent[]>();
  if (failing.length > 0) {
    for (const test of await opaTestJson(staged, ["-v", "--run", exactly(failing)], options.policyDir)) {
      if (test.trace) traces.set(fullName(test), test.trace);
    }
  }

  const originOf = stagedFileMapper(staged);
  const lines = new Map<string, Promise<string[]>>();
  const results: RegoTestResult[] = [];
  for (const test of parsed) {
    const stagedFile = test.location?.file ?? "";
    const file = originOf(stagedFile);
    const name = test.name ?? "(unnamed)";
    const result: RegoTestResult = {
      package: test.package ?? "",
      name,
      file,
      line: test.location?.row ?? 0,
      status: statusOf(test),
      durationNs: test.duration ?? 0,
    };
    if (test.error) {
      const where = test.error.location;
      result.error = {
        message: test.error.message ?? "evaluation failed",
        ...(test.error.code ? { code: test.error.code } : {}),
        ...(where?.file ? { file: originOf(where.file) } : {}),
        ...(where?.row ? { line: where.row } : {}),
      };
    }
    const trace = traces.get(fullName(test));
    if (result.status === "fail" && trace) {
      const text = await sourceLines(file, lines);
      result.failedAt = failedRows(trace, name, stagedFile).map((row): FailedExpression => ({ line: row, text: text[row - 1]?.trim() ?? "" }));
    }
    if (test.output) result.output = Buffer.from(test.output, "base64").toString("utf8");
    results.push(result);
  }
  return results.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.name.localeCompare(b.name));
}

/**
 * An `opa test --run` pattern for exactly the tests that passed: a package
 * whose tests all passed by its name, others test by test (so the pattern
 * stays short for a large suite). OPA gives no coverage report at all when
 * a test fails, so coverage is measured again over the passing tests.
 */
export function passingTestsPattern(results: readonly RegoTestResult[]): string | undefined {
  const packages = new Map<string, RegoTestResult[]>();
  for (const test of results) packages.set(test.package, [...(packages.get(test.package) ?? []), test]);
  const parts: string[] = [];
  for (const [pkg, tests] of packages) {
    // todo_ tests are skipped by OPA in a coverage run too, so they do not spoil a package.
    if (tests.every((t) => t.status === "pass" || t.status === "skip")) parts.push(`${escapeRegex(pkg)}\\.[^.]+`);
    else parts.push(...tests.filter((t) => t.status === "pass").map((t) => escapeRegex(fullName(t))));
  }
  return parts.length > 0 ? `^(?:${parts.join("|")})$` : undefined;
}

/**
 * Runs `opa test --coverage`. OPA prints no coverage when a test fails or
 * errors; that is not a reason to stop mcpgov test (the result run reports
 * the failure), so it comes back as `unavailable`.
 */
export async function runRegoCoverage(staged: StagedPolicy, options: { run?: string }): Promise<RegoCoverage | { unavailable: string }> {
  const args = ["test", "-b", ".", ...typeCheck(staged), "--coverage", "--format", "json", ...(options.run !== undefined ? ["--run", options.run] : [])];
  const run = await runOpa(args, { cwd: staged.dir });
  try {
    const parsed = JSON.parse(run.stdout) as Partial<RegoCoverage>;
    if (parsed && typeof parsed === "object" && parsed.files && typeof parsed.files === "object") return { files: parsed.files };
  } catch {
    // reported below
  }
  const reason = (run.stderr || run.stdout).trim().split("\n")[0] ?? "";
  return { unavailable: `opa test --coverage failed${reason ? `: ${reason}` : ""}` };
}
