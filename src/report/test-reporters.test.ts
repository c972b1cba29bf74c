import { describe, expect, it } from "vitest";
import { findAll, parseXml } from "../../test/helpers/xml.js";
import type { TestRun } from "../testing/results.js";
import { githubAnnotations } from "./test-annotations.js";
import { jsonReporter } from "./test-json.js";
import { formatJunit } from "./test-junit.js";
import { formatPretty } from "./test-pretty.js";

const cwd = "/repo";

/** A run with one of everything: pass, fail, error, skip, a failing case and an unexercised rule. */
const run: TestRun = {
  policyDir: "/repo/policy",
  bundleHash: "sha256:00",
  parity: { checked: true, disagreements: 0 },
  rego: [
    { package: "data.p_test", name: "test_ok", file: "/repo/policy/p_test.rego", line: 5, status: "pass", durationNs: 1_500_000 },
    {
      package: "data.p_test",
      name: "test_bad",
      file: "/repo/policy/p_test.rego",
      line: 9,
      status: "fail",
      durationNs: 250_000,
      failedAt: [{ line: 11, text: 'r.reason == "a <b> & \'c\'"' }],
      output: "note: \u001b[31mred\u001b[0m\n",
    },
    {
      package: "data.p_test",
      name: "test_conflict",
      file: "/repo/policy/p_test.rego",
      line: 14,
      status: "error",
      durationNs: 90_000,
      error: { code: "eval_conflict_error", message: "conflicting values:\n  1 at p.rego:3", file: "/repo/policy/p.rego", line: 3 },
    },
    { package: "data.p_test", name: "todo_test_later", file: "/repo/policy/p_test.rego", line: 20, status: "skip", durationNs: 0 },
  ],
  cases: [
    {
      name: "write, prod",
      file: "/repo/policy/a.cases.yaml",
      line: 7,
      status: "fail",
      durationNs: 2_000_000_000,
      mismatches: [
        { field: "decision", expected: "REQUIRE_APPROVAL", actual: "ALLOW" },
        { field: "constraints.max_retries", expected: 1, actual: undefined },
      ],
      actual: { decision: "ALLOW", rules: ["r"], reason: "r: fine", constraints: {}, matched: [{ rule: "r", decision: "ALLOW" }] },
    },
  ],
  coverage: {
    rules: [
      { id: "r", package: "data.mcpgov.rules.r", file: "/repo/policy/r.rego", line: 4, exercisedBy: ["case"] },
      { id: "q", package: "data.mcpgov.rules.q", file: "/repo/policy/q.rego", line: 4, exercisedBy: [] },
    ],
    exercised: 1,
    total: 2,
    percent: 50,
    threshold: 75,
  },
  warnings: [],
};

describe("test reporters", () => {
  it("pretty -v: a line per test and case, details under failures, summary and coverage", () => {
    expect(formatPretty(run, { cwd, verbose: true })).toBe(
      [
        "policy/p_test.rego:",
        "data.p_test.test_ok: PASS (1.50ms)",
        "data.p_test.test_bad: FAIL (250µs)",
        `  policy/p_test.rego:11: r.reason == "a <b> & 'c'"`,
        "  output:",
        "    note: \u001b[31mred\u001b[0m",
        "data.p_test.test_conflict: ERROR (90µs)",
        "  policy/p.rego:3: eval_conflict_error: conflicting values:",
        "    1 at p.rego:3",
        "data.p_test.todo_test_later: SKIPPED",
        "",
        "policy/a.cases.yaml:",
        "write, prod: FAIL (2.00s)",
        "  at policy/a.cases.yaml:7",
        "  decision",
        "    - expected: REQUIRE_APPROVAL",
        "    + actual:   ALLOW",
        "  constraints.max_retries",
        "    - expected: 1",
        "    + actual:   (absent)",
        "  reason: r: fine",
        "",
        "-".repeat(80),
        "PASS: 1/5",
        "FAIL: 2/5",
        "ERROR: 1/5",
        "SKIPPED: 1/5",
        "coverage: 1/2 rules exercised",
        "  not exercised: q (policy/q.rego:4)",
        "FAIL: rule coverage 50% is below the threshold of 75%",
      ].join("\n"),
    );
  });

  it("pretty without -v: only failures and errors, then the summary", () => {
    const lines = formatPretty(run, { cwd }).split("\n");
    expect(lines.slice(0, 8)).toEqual([
      "policy/p_test.rego:",
      "data.p_test.test_bad: FAIL (250µs)",
      `  policy/p_test.rego:11: r.reason == "a <b> & 'c'"`,
      "  output:",
      "    note: \u001b[31mred\u001b[0m",
      "data.p_test.test_conflict: ERROR (90µs)",
      "  policy/p.rego:3: eval_conflict_error: conflicting values:",
      "    1 at p.rego:3",
    ]);
    expect(lines).not.toContain("data.p_test.test_ok: PASS (1.50ms)");
    expect(lines).not.toContain("data.p_test.todo_test_later: SKIPPED");
    expect(lines).toContain("write, prod: FAIL (2.00s)");
    expect(lines).toContain("PASS: 1/5");
  });

  it("junit: well-formed, escaped, with failures, errors and skips counted", () => {
    const root = parseXml(formatJunit(run, { cwd }));
    expect(root.attributes).toMatchObject({ tests: "6", failures: "3", errors: "1", skipped: "1" });
    const [rego, cases, coverage] = findAll(root, "testsuite");
    expect(rego!.attributes).toMatchObject({ name: "rego", tests: "4", failures: "1", errors: "1", skipped: "1" });
    const bad = findAll(rego!, "testcase").find((t) => t.attributes["name"] === "test_bad")!;
    const failure = findAll(bad, "failure")[0]!;
    expect(failure.attributes["message"]).toBe(`failed at line 11: r.reason == "a <b> & 'c'"`);
    // The escape character cannot appear in XML at all, not even escaped.
    expect(failure.text).toContain("note: \uFFFD[31mred\uFFFD[0m");
    const error = findAll(rego!, "error")[0]!;
    expect(error.attributes["message"]).toBe("conflicting values:\n  1 at p.rego:3");
    expect(findAll(cases!, "failure")[0]!.attributes["message"]).toBe("decision: expected REQUIRE_APPROVAL, got ALLOW; constraints.max_retries: expected 1, got (absent)");
    expect(findAll(cases!, "testcase")[0]!.attributes).toMatchObject({ name: "write, prod", file: "policy/a.cases.yaml", line: "7", time: "2.000000" });
    expect(coverage!.attributes).toMatchObject({ name: "rule coverage", failures: "1" });
  });

  it("json: one parseable document", () => {
    let text = "";
    jsonReporter((t) => (text += t), { cwd }).report(run);
    const report = JSON.parse(text) as { passed: boolean; summary: unknown; cases: { mismatches: unknown[] }[]; coverage: { below_threshold: boolean } };
    expect(report.passed).toBe(false);
    expect(report.summary).toEqual({ total: 5, pass: 1, fail: 2, error: 1, skip: 1 });
    expect(report.cases[0]!.mismatches[1]).toEqual({ field: "constraints.max_retries", expected: 1, actual: null });
    expect(report.coverage.below_threshold).toBe(true);
  });

  it("GitHub annotations: one per failure at its file and line, escaped", () => {
    expect(githubAnnotations(run, { cwd })).toEqual([
      `::error file=policy/p_test.rego,line=9,title=Rego test data.p_test.test_bad failed::line 11: r.reason == "a <b> & 'c'"`,
      "::error file=policy/p_test.rego,line=14,title=Rego test data.p_test.test_conflict errored::eval_conflict_error: conflicting values:%0A  1 at p.rego:3",
      '::error file=policy/a.cases.yaml,line=7,title=case "write%2C prod" failed::decision: expected REQUIRE_APPROVAL, got ALLOW%0Aconstraints.max_retries: expected 1, got (absent)',
      "::error file=policy/q.rego,line=4,title=rule q not exercised::no Rego test or case exercises rule q; rule coverage is 50%25, below the threshold of 75%25",
    ]);
  });
});
