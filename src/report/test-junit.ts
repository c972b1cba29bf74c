/**
 * @module The JUnit XML `mcpgov test` report for CI test views: a suite
 * for the Rego tests, one for the cases, and one for rule coverage when a
 * threshold is set.
 */
import type { RegoTestResult, TestRun } from "../testing/results.js";
import { coverageBelowThreshold, describeMismatch, summarize } from "../testing/results.js";
import { caseDiff, regoDetails } from "./test-pretty.js";
import { formatPercent, formatValue, type ReporterOptions, shownPath, type TestReporter, type Writer } from "./test-reporter.js";

/** Characters XML 1.0 cannot hold at all, even escaped (e.g. ANSI escapes in print output). */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Attribute values also keep their line breaks and tabs, which parsers would turn into spaces. */
function attr(text: string | number): string {
  return escapeXml(String(text)).replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${attr(value!)}"`)
    .join("");
}

const seconds = (ns: number): string => (ns / 1e9).toFixed(6);

interface Suite {
  name: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  timeNs: number;
  body: string[];
}

function suiteXml(suite: Suite): string[] {
  const head = `  <testsuite${attrs({
    name: suite.name,
    tests: suite.tests,
    failures: suite.failures,
    errors: suite.errors,
    skipped: suite.skipped,
    time: seconds(suite.timeNs),
  })}>`;
  return [head, ...suite.body, "  </testsuite>"];
}

function testcase(fields: Record<string, string | number | undefined>, inner: string[]): string[] {
  if (inner.length === 0) return [`    <testcase${attrs(fields)}/>`];
  return [`    <testcase${attrs(fields)}>`, ...inner.map((line) => `      ${line}`), "    </testcase>"];
}

function failureMessage(test: RegoTestResult): string {
  const failed = (test.failedAt ?? []).map((f) => `line ${f.line}: ${f.text}`);
  return failed.length > 0 ? `failed at ${failed.join("; ")}` : `${test.name} did not hold`;
}

function regoSuite(run: TestRun, options: ReporterOptions): Suite {
  const body: string[] = [];
  for (const test of run.rego) {
    const details = escapeXml(regoDetails(test, options).map((l) => l.trim()).join("\n"));
    const inner =
      test.status === "fail"
        ? [`<failure${attrs({ message: failureMessage(test), type: "fail" })}>${details}</failure>`]
        : test.status === "error"
          ? [`<error${attrs({ message: test.error?.message ?? "evaluation failed", type: test.error?.code ?? "error" })}>${details}</error>`]
          : test.status === "skip"
            ? ["<skipped/>"]
            : [];
    const fields = { name: test.name, classname: test.package, file: shownPath(test.file, options), line: test.line, time: seconds(test.durationNs) };
    body.push(...testcase(fields, inner));
  }
  const count = (status: string) => run.rego.filter((t) => t.status === status).length;
  const timeNs = run.rego.reduce((sum, t) => sum + t.durationNs, 0);
  return { name: "rego", tests: run.rego.length, failures: count("fail"), errors: count("error"), skipped: count("skip"), timeNs, body };
}

function casesSuite(run: TestRun, options: ReporterOptions): Suite {
  const body: string[] = [];
  for (const result of run.cases) {
    const file = shownPath(result.file, options);
    const message = result.mismatches.map((m) => describeMismatch(m, formatValue)).join("; ");
    const details = escapeXml(caseDiff(result, options).join("\n"));
    const inner = result.status === "fail" ? [`<failure${attrs({ message, type: result.parity?.agree === false ? "parity" : "mismatch" })}>${details}</failure>`] : [];
    body.push(...testcase({ name: result.name, classname: file, file, line: result.line, time: seconds(result.durationNs) }, inner));
  }
  const failures = run.cases.filter((c) => c.status === "fail").length;
  const timeNs = run.cases.reduce((sum, c) => sum + c.durationNs, 0);
  return { name: "cases", tests: run.cases.length, failures, errors: 0, skipped: 0, timeNs, body };
}

function coverageSuite(run: TestRun, options: ReporterOptions): Suite | undefined {
  const { coverage } = run;
  if (coverage.threshold === undefined) return undefined;
  const below = coverageBelowThreshold(coverage);
  const unexercised = coverage.rules.filter((r) => r.exercisedBy.length === 0);
  const listing = unexercised.map((r) => `not exercised: ${r.id} (${shownPath(r.file, options)}:${r.line})`).join("\n");
  const summary = `${coverage.exercised}/${coverage.total} rules exercised (${formatPercent(coverage.percent)}%)`;
  const inner = [
    ...(below ? [`<failure${attrs({ message: `${summary}, below the threshold of ${coverage.threshold}%`, type: "coverage" })}>${escapeXml(listing)}</failure>`] : []),
    `<system-out>${escapeXml([summary, listing].filter(Boolean).join("\n"))}</system-out>`,
  ];
  const body = testcase({ name: `rule coverage >= ${coverage.threshold}%`, classname: "mcpgov.coverage", time: seconds(0) }, inner);
  return { name: "rule coverage", tests: 1, failures: below ? 1 : 0, errors: 0, skipped: 0, timeNs: 0, body };
}

export function formatJunit(run: TestRun, options: ReporterOptions = {}): string {
  const suites = [regoSuite(run, options), casesSuite(run, options), coverageSuite(run, options)].filter((s): s is Suite => s !== undefined);
  const summary = summarize(run);
  const total = (key: "tests" | "failures" | "errors" | "skipped") => suites.reduce((sum, s) => sum + s[key], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({
      name: "mcpgov test",
      tests: total("tests"),
      failures: total("failures"),
      errors: summary.error,
      skipped: summary.skip,
      time: seconds(suites.reduce((sum, s) => sum + s.timeNs, 0)),
    })}>`,
    ...suites.flatMap(suiteXml),
    "</testsuites>",
  ].join("\n");
}

export function junitReporter(write: Writer, options: ReporterOptions = {}): TestReporter {
  return { report: (run) => write(formatJunit(run, options)) };
}
