/** @module What one `mcpgov test` run found: Rego test results, case results, rule coverage, and the verdict. */
import type { Decision } from "../core/decision.js";

/** `error` is a test that could not be evaluated (e.g. a conflict); `skip` is OPA's `todo_` test. */
export type TestStatus = "pass" | "fail" | "error" | "skip";

/** One expression of a failing Rego test body that did not hold. */
export interface FailedExpression {
  line: number;
  text: string;
}

export interface RegoTestResult {
  /** The package the test lives in, e.g. data.mcpgov.rules.x_test. */
  package: string;
  name: string;
  /** The file the user (or mcpgov's library) wrote, absolute. */
  file: string;
  line: number;
  status: TestStatus;
  durationNs: number;
  /** For `error`: what OPA reported, with its location. */
  error?: { message: string; code?: string; file?: string; line?: number };
  /** For `fail`: the expressions of the test body that failed, from OPA's trace. */
  failedAt?: FailedExpression[];
  /** Text the test printed with print(). */
  output?: string;
}

/**
 * One difference between what a case expects and what the policy decided,
 * or (with `parity`) between the two evaluators: then `expected` is what
 * OPA's topdown decided and `actual` what the WASM bundle decided.
 */
export interface Mismatch {
  /** decision, rules, matched or constraints.<key>; with parity: parity.<field>. */
  field: string;
  /** undefined means "absent". */
  expected: unknown;
  actual: unknown;
  parity?: boolean;
}

/** One line for a mismatch, in messages (JUnit, annotations). */
export function describeMismatch(m: Mismatch, format: (value: unknown) => string): string {
  return m.parity ? `${m.field}: OPA topdown ${format(m.expected)}, WASM ${format(m.actual)}` : `${m.field}: expected ${format(m.expected)}, got ${format(m.actual)}`;
}

export interface CaseResult {
  name: string;
  file: string;
  line: number;
  status: "pass" | "fail";
  durationNs: number;
  mismatches: Mismatch[];
  /** The decision as the bundle made it (without the bundle reference, which every case shares). */
  actual: Omit<Decision, "bundle">;
  /** With parity on: the decision OPA's topdown made, and the rules only one side matched when they differ. */
  parity?: { topdown: Omit<Decision, "bundle">; agree: boolean; rulesInDispute: string[] };
}

export interface RuleCoverageEntry {
  /** The rule id (its package's METADATA title), or the package path when it has none. */
  id: string;
  package: string;
  file: string;
  line: number;
  /** What exercised the rule; empty when nothing did. */
  exercisedBy: ("case" | "rego")[];
}

export interface RuleCoverage {
  rules: RuleCoverageEntry[];
  exercised: number;
  total: number;
  /** 100 when there are no rules: nothing is left untested. */
  percent: number;
  threshold?: number;
  /** Why Rego coverage could not be measured, when it could not (then only cases count). */
  regoCoverageUnavailable?: string;
}

export interface TestRun {
  policyDir: string;
  bundleHash: string;
  rego: RegoTestResult[];
  cases: CaseResult[];
  coverage: RuleCoverage;
  /** Things worth saying that do not fail the run (e.g. nothing matched --run). */
  warnings: string[];
  /** Whether every case was also decided by OPA's topdown (off with --no-parity), and on how many the two disagreed. */
  parity: { checked: boolean; disagreements: number };
}

export interface TestSummary {
  total: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
}

export function summarize(run: TestRun): TestSummary {
  const summary: TestSummary = { total: 0, pass: 0, fail: 0, error: 0, skip: 0 };
  for (const status of [...run.rego.map((r) => r.status), ...run.cases.map((c) => c.status)]) {
    summary.total++;
    summary[status]++;
  }
  return summary;
}

export function coverageBelowThreshold(coverage: RuleCoverage): boolean {
  return coverage.threshold !== undefined && coverage.percent < coverage.threshold;
}

/** 0 when everything passed, 2 when a test or case failed or coverage is below the threshold. */
export function exitCodeOf(run: TestRun): 0 | 2 {
  const summary = summarize(run);
  return summary.fail > 0 || summary.error > 0 || coverageBelowThreshold(run.coverage) ? 2 : 0;
}
