/** @module The JSON `mcpgov test` report: one document, snake_case like OPA's and the decision contract. */
import type { TestRun } from "../testing/results.js";
import { coverageBelowThreshold, exitCodeOf, summarize } from "../testing/results.js";
import { type ReporterOptions, shownPath, type TestReporter, type Writer } from "./test-reporter.js";

export function toJsonReport(run: TestRun, options: ReporterOptions = {}): unknown {
  const path = (file: string) => shownPath(file, options);
  return {
    passed: exitCodeOf(run) === 0,
    summary: summarize(run),
    parity: { checked: run.parity.checked, disagreements: run.parity.disagreements },
    policy_dir: path(run.policyDir),
    bundle_hash: run.bundleHash,
    rego: run.rego.map((test) => ({
      package: test.package,
      name: test.name,
      file: path(test.file),
      line: test.line,
      status: test.status,
      duration_ns: test.durationNs,
      ...(test.error
        ? { error: { ...test.error, ...(test.error.file ? { file: path(test.error.file) } : {}) } }
        : {}),
      ...(test.failedAt ? { failed_at: test.failedAt } : {}),
      ...(test.output ? { output: test.output } : {}),
    })),
    cases: run.cases.map((result) => ({
      name: result.name,
      file: path(result.file),
      line: result.line,
      status: result.status,
      duration_ns: result.durationNs,
      // undefined (absent) values are written as null so the field stays in the document.
      mismatches: result.mismatches.map((m) => ({ field: m.field, expected: m.expected ?? null, actual: m.actual ?? null, ...(m.parity ? { parity: true } : {}) })),
      actual: result.actual,
      ...(result.parity ? { parity: { agree: result.parity.agree, topdown: result.parity.topdown, rules_in_dispute: result.parity.rulesInDispute } } : {}),
    })),
    coverage: {
      exercised: run.coverage.exercised,
      total: run.coverage.total,
      percent: run.coverage.percent,
      ...(run.coverage.threshold !== undefined ? { threshold: run.coverage.threshold, below_threshold: coverageBelowThreshold(run.coverage) } : {}),
      ...(run.coverage.regoCoverageUnavailable ? { rego_coverage_unavailable: run.coverage.regoCoverageUnavailable } : {}),
      rules: run.coverage.rules.map((rule) => ({
        id: rule.id,
        package: rule.package,
        file: path(rule.file),
        line: rule.line,
        exercised_by: rule.exercisedBy,
      })),
    },
    warnings: run.warnings,
  };
}

export function jsonReporter(write: Writer, options: ReporterOptions = {}): TestReporter {
  return { report: (run) => write(JSON.stringify(toJsonReport(run, options), null, 2)) };
}
