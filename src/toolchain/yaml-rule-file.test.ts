import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseYamlRuleFile } from "./yaml-rule-file.js";

const seedText = readFileSync(join(import.meta.dirname, "..", "..", "policy", "seed-yaml", "mcp-governance-policy.yaml"), "utf8");

/** The seed's file with one line replaced (1-based). */
function seedWith(line: number, text: string): string {
  const lines = seedText.split("\n");
  lines[line - 1] = text;
  return lines.join("\n");
}

function problems(text: string): { line?: number; column?: number; message: string }[] {
  const result = parseYamlRuleFile(text, "p.yaml");
  if (result.ok) return [];
  expect(result.diagnostics.every((d) => d.file === "p.yaml" && d.code === "yaml_rule_error")).toBe(true);
  return result.diagnostics.map(({ line, column, message }) => ({ line, column, message }));
}

describe("parseYamlRuleFile", () => {
  it("reads the seed's file and says where each id is written", () => {
    const result = parseYamlRuleFile(seedText, "mcp-governance-policy.yaml");
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.rules.rules).toHaveLength(4);
    expect(result.ids.map(({ id, line, field }) => ({ id, line, field }))).toEqual([
      { id: "allow-read-approved-servers", line: 3, field: "rules[0].id" },
      { id: "require-approval-production-write", line: 10, field: "rules[1].id" },
      { id: "constrain-medium-risk", line: 20, field: "rules[2].id" },
      { id: "deny-unregistered-server", line: 30, field: "rules[3].id" },
    ]);
  });

  it("puts a bad value on its own line and column", () => {
    expect(problems(seedWith(15, "    decision: MAYBE"))).toEqual([
      { line: 15, column: 15, message: "rules[1].decision: must be one of ALLOW, DENY, REQUIRE_APPROVAL, ALLOW_WITH_CONSTRAINTS" },
    ]);
  });

  it("puts an unknown key at the key", () => {
    expect(problems(seedWith(12, "      lables:"))).toEqual([
      { line: 12, column: 7, message: 'rules[1].match.lables: unknown key (did you mean "labels"?); allowed: labels, risk_tags, mcp' },
    ]);
  });

  it("puts a missing field where its parent starts", () => {
    const text = "version: v1\nrules:\n  - id: a\n    match:\n      risk_tags: [prod]\n";
    expect(problems(text)).toEqual([{ line: 3, column: 5, message: "rules[0].decision: missing; this field is required" }]);
  });

  it("reports YAML syntax errors and duplicate keys with their lines", () => {
    expect(problems(seedWith(15, '    decision: "REQUIRE_APPROVAL'))).toEqual([{ line: 15, column: 32, message: 'YAML: Missing closing "quote' }]);
    expect(problems(seedWith(15, "\tdecision: REQUIRE_APPROVAL"))).toEqual([{ line: 15, column: 1, message: "YAML: Tabs are not allowed as indentation" }]);
    expect(problems(seedWith(16, "    decision: DENY"))).toEqual([{ line: 16, column: 5, message: "YAML: Map keys must be unique" }]);
  });

  it("reports an empty file at its first line", () => {
    expect(problems("")).toEqual([{ line: 1, column: 1, message: "(root): Invalid input: expected object, received null" }]);
  });
});
