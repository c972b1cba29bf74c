/**
 * @module GitHub Actions annotations for `mcpgov test` failures, so that a
 * failing Rego test or case shows up on the line of the file that holds it.
 */
import type { TestRun } from "../testing/results.js";
import { coverageBelowThreshold, describeMismatch } from "../testing/results.js";
import { formatPercent, formatValue, type ReporterOptions, shownPath, type TestReporter, type Writer } from "./test-reporter.js";

/** Workflow command escaping: the message keeps line breaks as %0A. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Property values must also not contain the separators `:` and `,`. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function annotation(file: string, line: number, title: string, message: string): string {
  return `::error file=${escapeProperty(file)},line=${line},title=${escapeProperty(title)}::${escapeData(message)}`;
}

export function githubAnnotations(run: TestRun, options: ReporterOptions = {}): string[] {
  const out: string[] = [];
  for (const test of run.rego) {
    if (test.status !== "fail" && test.status !== "error") continue;
    const message = test.error
      ? `${test.error.code ? `${test.error.code}: ` : ""}${test.error.message}`
      : (test.failedAt ?? []).map((f) => `line ${f.line}: ${f.text}`).join("\n") || "the test did not hold";
    const verb = test.status === "error" ? "errored" : "failed";
    out.push(annotation(shownPath(test.file, options), test.line, `Rego test ${test.package}.${test.name} ${verb}`, message));
  }
  for (const result of run.cases) {
    if (result.status !== "fail") continue;
    const message = result.mismatches.map((m) => describeMismatch(m, formatValue)).join("\n");
    out.push(annotation(shownPath(result.file, options), result.line, `case "${result.name}" failed`, message));
  }
  if (coverageBelowThreshold(run.coverage)) {
    const { coverage } = run;
    for (const rule of coverage.rules.filter((r) => r.exercisedBy.length === 0)) {
      const message = `no Rego test or case exercises rule ${rule.id}; rule coverage is ${formatPercent(coverage.percent)}%, below the threshold of ${coverage.threshold}%`;
      out.push(annotation(shownPath(rule.file, options), rule.line, `rule ${rule.id} not exercised`, message));
    }
  }
  return out;
}

export function githubAnnotationsReporter(write: Writer, options: ReporterOptions = {}): TestReporter {
  return {
    report: (run) => {
      const lines = githubAnnotations(run, options);
      if (lines.length > 0) write(lines.join("\n"));
    },
  };
}
