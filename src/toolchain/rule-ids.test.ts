import { describe, expect, it } from "vitest";
import { duplicateRuleIds, regoStrings } from "./rule-ids.js";
import type { RuleIdSite } from "./yaml-rule-file.js";

const site = (id: string, file: string, line: number, index = 0): RuleIdSite => ({ id, file, line, column: 9, field: `rules[${index}].id` });

describe("regoStrings", () => {
  it("finds quoted and raw strings with their lines, not comments", () => {
    const rego = ['package x', '# "in a comment"', 'hits contains result.deny("deny-x", `raw', 'string`) if {', '\tinput.a == "tab\\t\\"q\\"" # "c"', "}"].join("\n");
    expect(regoStrings(rego)).toEqual([
      { value: "deny-x", line: 3 },
      { value: "raw\nstring", line: 3 },
      { value: 'tab\t"q"', line: 5 },
    ]);
  });
});

describe("duplicateRuleIds", () => {
  it("reports an id used twice across YAML files at the later one", () => {
    expect(duplicateRuleIds([site("a", "one.policy.yaml", 3), site("a", "two.policy.yaml", 7, 2)], [])).toEqual([
      { file: "two.policy.yaml", line: 7, column: 9, code: "yaml_rule_error", message: 'rules[2].id: duplicate rule id "a"; one.policy.yaml:3 defines it too' },
    ]);
  });

  it("reports a YAML id that a Rego rule uses, once", () => {
    const rego = { file: "rules/deny.rego", text: 'package mcpgov.rules.d\n\nhits contains result.deny("deny-x", "deny-x") if true\n' };
    expect(duplicateRuleIds([site("deny-x", "p.policy.yaml", 4), site("other", "p.policy.yaml", 9, 1)], [rego])).toEqual([
      {
        file: "p.policy.yaml",
        line: 4,
        column: 9,
        code: "yaml_rule_error",
        message: 'rules[0].id: duplicate rule id "deny-x"; the Rego rule at rules/deny.rego:3 uses it too',
      },
    ]);
  });
});
