import { describe, expect, it } from "vitest";
import { compareDecision } from "./expectation.js";

const decision = {
  decision: "REQUIRE_APPROVAL" as const,
  rules: ["b", "a"],
  matched: [
    { rule: "a", decision: "REQUIRE_APPROVAL" as const },
    { rule: "b", decision: "REQUIRE_APPROVAL" as const },
    { rule: "c", decision: "ALLOW" as const },
  ],
  constraints: { max_runtime_sec: 30, network_allowlist: ["x.test"] },
};

describe("compareDecision", () => {
  it("passes when decision, rules (any order) and listed constraints agree", () => {
    expect(compareDecision({ decision: "REQUIRE_APPROVAL", rules: ["a", "b"], constraints: { max_runtime_sec: 30 } }, decision)).toEqual([]);
  });

  it("lists every difference, constraints by key", () => {
    expect(
      compareDecision({ decision: "ALLOW", rules: ["a"], matched: ["a", "b"], constraints: { max_runtime_sec: 60, max_retries: 1 } }, decision),
    ).toEqual([
      { field: "decision", expected: "ALLOW", actual: "REQUIRE_APPROVAL" },
      { field: "rules", expected: ["a"], actual: ["a", "b"] },
      { field: "matched", expected: ["a", "b"], actual: ["a", "b", "c"] },
      { field: "constraints.max_retries", expected: 1, actual: undefined },
      { field: "constraints.max_runtime_sec", expected: 60, actual: 30 },
    ]);
  });

  it("compares constraint values exactly, lists included", () => {
    expect(compareDecision({ decision: "REQUIRE_APPROVAL", constraints: { network_allowlist: ["x.test", "y.test"] } }, decision)).toHaveLength(1);
  });

  it("with constraints_exact also refuses constraints the case does not list", () => {
    expect(compareDecision({ decision: "REQUIRE_APPROVAL", constraints: { max_runtime_sec: 30 }, constraints_exact: true }, decision)).toEqual([
      { field: "constraints.network_allowlist", expected: undefined, actual: ["x.test"] },
    ]);
    expect(compareDecision({ decision: "REQUIRE_APPROVAL", constraints_exact: true }, decision)).toHaveLength(2);
  });
});
