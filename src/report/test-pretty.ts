/**
 * @module The pretty `mcpgov test` report, in the manner of `opa test -v`:
 * a line per Rego test and per case grouped by file, details under each
 * failure, then the PASS/FAIL summary and rule coverage.
 */
import type { CaseResult, RegoTestResult, TestRun } from "../testing/results.js";
import { coverageBelowThreshold, summarize } from "../testing/results.js";
import { formatDuration, formatPercent, formatValue, type ReporterOptions, shownPath, type TestReporter, type Writer } from "./test-reporter.js";

const STATUS = { pass: "PASS", fail: "FAIL", error: "ERROR", skip: "SKIPPED" } as const;
const COLOUR = { pass: "green", fail: "red", error: "red", skip: "yellow" } as const;

function status(value: keyof typeof STATUS, options: ReporterOptions): string {
  return options.paint ? options.paint(STATUS[value], COLOUR[value]) : STATUS[value];
}
const RULER = "-".repeat(80);

function indent(text: string, prefix: string): string[] {
  return text.replace(/\n+$/, "").split("\n").map((line) => `${prefix}${line}`);
}

/** What went wrong in a failing or erroring Rego test: the error, the failed expressions, what it printed. */
export function regoDetails(test: RegoTestResult, options: ReporterOptions): string[] {
  const lines: string[] = [];
  if (test.error) {
    const where = test.error.file ? `${shownPath(test.error.file, options)}${test.error.line ? `:${test.error.line}` : ""}: ` : "";
    lines.push(...indent(`${where}${test.error.code ? `${test.error.code}: ` : ""}${test.error.message}`, "  "));
  }
  for (const failed of test.failedAt ?? []) lines.push(`  ${shownPath(test.file, options)}:${failed.line}: ${failed.text}`);
  if (test.output && test.status !== "pass") lines.push("  output:", ...indent(test.output, "    "));
  return lines;
}

/** A readable diff: each differing field with the expected value (-) and the actual one (+). */
export function caseDiff(result: CaseResult, options: ReporterOptions): string[] {
  const lines = [`  at ${shownPath(result.file, options)}:${result.line}`];
  for (const mismatch of result.mismatches) {
    if (mismatch.parity) {
      lines.push(`  ${mismatch.field} (OPA topdown and the WASM bundle disagree)`, `    - opa:  ${formatValue(mismatch.expected)}`, `    + wasm: ${formatValue(mismatch.actual)}`);
    } else {
      lines.push(`  ${mismatch.field}`, `    - expected: ${formatValue(mismatch.expected)}`, `    + actual:   ${formatValue(mismatch.actual)}`);
    }
  }
  if (result.parity && result.parity.rulesInDispute.length > 0) lines.push(`  rules matched by one evaluator only: ${result.parity.rulesInDispute.join(", ")}`);
  lines.push(`  reason: ${result.actual.reason}`);
  return lines;
}

function groupByFile<T extends { file: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.file) ?? [];
    group.push(item);
    groups.set(item.file, group);
  }
  return groups;
}

function coverageLines(run: TestRun, options: ReporterOptions): string[] {
  const { coverage } = run;
  const lines = [`coverage: ${coverage.exercised}/${coverage.total} rules exercised`];
  for (const rule of coverage.rules.filter((r) => r.exercisedBy.length === 0)) {
    lines.push(`  not exercised: ${rule.id} (${shownPath(rule.file, options)}:${rule.line})`);
  }
  if (coverageBelowThreshold(coverage)) {
    lines.push(`FAIL: rule coverage ${formatPercent(coverage.percent)}% is below the threshold of ${coverage.threshold}%`);
  }
  return lines;
}

export function formatPretty(run: TestRun, options: ReporterOptions = {}): string {
  const lines: string[] = [];
  // Without -v a passing or skipped test says nothing; a file with nothing to say gets no header.
  const shown = (status: string) => options.verbose === true || status === "fail" || status === "error";
  for (const [file, tests] of groupByFile(run.rego.filter((t) => shown(t.status)))) {
    lines.push(`${shownPath(file, options)}:`);
    for (const test of tests) {
      const duration = test.status === "skip" ? "" : ` (${formatDuration(test.durationNs)})`;
      lines.push(`${test.package}.${test.name}: ${status(test.status, options)}${duration}`, ...regoDetails(test, options));
    }
    lines.push("");
  }
  for (const [file, cases] of groupByFile(run.cases.filter((c) => shown(c.status)))) {
    lines.push(`${shownPath(file, options)}:`);
    for (const result of cases) {
      lines.push(`${result.name}: ${status(result.status, options)} (${formatDuration(result.durationNs)})`);
      if (result.status === "fail") lines.push(...caseDiff(result, options));
    }
    lines.push("");
  }
  const summary = summarize(run);
  lines.push(RULER, `${status("pass", options)}: ${summary.pass}/${summary.total}`);
  if (summary.fail > 0) lines.push(`${status("fail", options)}: ${summary.fail}/${summary.total}`);
  if (summary.error > 0) lines.push(`${status("error", options)}: ${summary.error}/${summary.total}`);
  if (summary.skip > 0) lines.push(`SKIPPED: ${summary.skip}/${summary.total}`);
  if (run.parity.disagreements > 0) lines.push(`PARITY: ${run.parity.disagreements} case(s) decided differently by OPA topdown and the WASM bundle`);
  lines.push(...coverageLines(run, options));
  return lines.join("\n");
}

export function prettyReporter(write: Writer, options: ReporterOptions = {}): TestReporter {
  return { report: (run) => write(formatPretty(run, options)) };
}
