import { describe, expect, it } from "vitest";
import type { Decision } from "../core/decision.js";
import { type BundleSide, changedAspects, DiffAccumulator, transitionLabel } from "./diff.js";

const bundle = { hash: "sha256:x", revision: "" };
const side: BundleSide = { ...bundle, source: "b.tar.gz", built: false };
const decision = (kind: Decision["decision"], rules: string[], constraints: Decision["constraints"] = {}): Decision => ({
  decision: kind,
  rules,
  reason: "r",
  constraints,
  matched: [],
  bundle,
});
const envelope = (id: string) => ({
  call: { id, server: "s", tool: "t", arguments: { secret: "do-not-copy" } },
  labels: { "mcp.action": "read" },
});
const at = (line: number) => ({ file: "c.jsonl", line });

describe("changedAspects", () => {
  it("sees no change when constraints differ only in key order", () => {
    const a = decision("ALLOW_WITH_CONSTRAINTS", ["r"], { max_runtime_sec: 1, max_retries: 2 });
    const b = decision("ALLOW_WITH_CONSTRAINTS", ["r"], { max_retries: 2, max_runtime_sec: 1 });
    expect(changedAspects(a, b)).toEqual([]);
  });

  it("names every aspect that differs", () => {
    expect(changedAspects(decision("ALLOW", ["a"]), decision("DENY", ["d"], { max_retries: 0 }))).toEqual(["decision", "rules", "constraints"]);
    expect(changedAspects(decision("DENY", ["a"]), decision("DENY", ["a", "b"]))).toEqual(["rules"]);
  });
});

describe("DiffAccumulator", () => {
  it("groups same-kind changes by what changed and counts rule lists per side", () => {
    const acc = new DiffAccumulator({ examples: 2 });
    acc.add(decision("ALLOW", ["a"]), decision("ALLOW", ["a"]), envelope("1"), at(1));
    for (let i = 2; i <= 4; i++) {
      acc.add(decision("ALLOW_WITH_CONSTRAINTS", ["c"], { max_runtime_sec: 30 }), decision("ALLOW_WITH_CONSTRAINTS", ["c"], { max_runtime_sec: 15 }), envelope(`${i}`), at(i));
    }
    acc.add(decision("DENY", ["u"]), decision("DENY", ["b", "u"]), envelope("5"), at(5));
    acc.add(decision("ALLOW", ["a"]), decision("REQUIRE_APPROVAL", ["p"], { approver_group: "privacy" }), envelope("6"), at(6));
    const report = acc.report(side, side);
    expect(report).toMatchObject({ envelopes: 6, unchanged: 1, changed: 5, skipped: 0 });
    expect(report.totals.base).toEqual({ ALLOW: 2, ALLOW_WITH_CONSTRAINTS: 3, REQUIRE_APPROVAL: 0, DENY: 1 });
    expect(report.transitions.map((t) => [transitionLabel(t), t.count])).toEqual([
      ["ALLOW_WITH_CONSTRAINTS (constraints changed)", 3],
      ["ALLOW → REQUIRE_APPROVAL", 1],
      ["DENY (rules changed)", 1],
    ]);
    const [awc, approval, deny] = report.transitions;
    expect(awc!.constraints).toEqual([{ key: "max_runtime_sec", before: 30, after: 15, count: 3 }]);
    expect(awc!.examples.map((e) => e.call_id)).toEqual(["2", "3"]);
    expect(approval!.constraints).toEqual([{ key: "approver_group", after: "privacy", count: 1 }]);
    expect(deny!.rules).toEqual({ base: [{ rules: ["u"], count: 1 }], head: [{ rules: ["b", "u"], count: 1 }] });
  });

  it("keeps examples to metadata: never the arguments", () => {
    const acc = new DiffAccumulator({ examples: 3 });
    acc.add(decision("ALLOW", ["a"]), decision("DENY", ["d"]), envelope("1"), at(9));
    const report = acc.report(side, side);
    expect(report.transitions[0]!.examples).toEqual([{ call_id: "1", server: "s", tool: "t", action: "read", file: "c.jsonl", line: 9 }]);
    expect(JSON.stringify(report)).not.toContain("do-not-copy");
  });

  it("lists a bounded number of distinct constraint changes and counts the rest", () => {
    const acc = new DiffAccumulator({ examples: 0, constraintChanges: 2 });
    for (let i = 1; i <= 4; i++) {
      acc.add(decision("ALLOW_WITH_CONSTRAINTS", ["c"], { max_runtime_sec: i }), decision("ALLOW_WITH_CONSTRAINTS", ["c"], { max_runtime_sec: 100 }), envelope(`${i}`), at(i));
    }
    const [t] = acc.report(side, side).transitions;
    expect(t!.constraints).toHaveLength(2);
    expect(t!.constraints_omitted).toBe(2);
    expect(t!.examples).toEqual([]);
  });

  it("counts skipped lines and lists the first ones", () => {
    const acc = new DiffAccumulator({ examples: 1, skippedLines: 1 });
    acc.skip({ file: "c.jsonl", line: 2, message: "invalid JSON" });
    acc.skip({ file: "c.jsonl", line: 3, message: "invalid JSON" });
    expect(acc.report(side, side)).toMatchObject({ envelopes: 0, skipped: 2, skipped_lines: [{ line: 2 }] });
  });
});
