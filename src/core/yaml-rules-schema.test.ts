import { describe, expect, it } from "vitest";
import { z } from "zod";
import { didYouMean } from "./did-you-mean.js";
import { issuePath } from "./issues.js";
import { normaliseYamlRules, type YamlRuleFile, YamlRuleFileSchema } from "./yaml-rules-schema.js";

const approved = ["github", "jira", "snowflake", "slack"];

/** The seed's file, as the YAML parser hands it over. */
const seed = {
  version: "v1",
  rules: [
    { id: "allow-read-approved-servers", match: { labels: { "mcp.action": "read", "mcp.server": approved } }, decision: "ALLOW" },
    {
      id: "require-approval-production-write",
      match: { labels: { "mcp.action": "write" }, risk_tags: ["prod"] },
      decision: "REQUIRE_APPROVAL",
      constraints: { max_runtime_sec: 60, max_retries: 1 },
    },
    {
      id: "constrain-medium-risk",
      match: { labels: { "mcp.action": "write" }, risk_tags: ["non_prod"] },
      decision: "ALLOW_WITH_CONSTRAINTS",
      constraints: { max_runtime_sec: 30, network_allowlist: ["api.github.com", "api.slack.com"] },
    },
    {
      id: "deny-unregistered-server",
      match: { labels: { "mcp.server": "*" }, mcp: { deny_servers_not_in: approved } },
      decision: "DENY",
    },
  ],
};

type Rule = Record<string, unknown>;
const withRule = (rule: Rule) => ({ version: "v1", rules: [rule] });
const rule = (patch: Rule): Rule => ({ id: "r", match: { labels: { "mcp.action": "read" } }, decision: "ALLOW", ...patch });

/** "path: message" for each issue, the way diagnostics print them. */
function problems(value: unknown): string[] {
  const result = YamlRuleFileSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
}

describe("YamlRuleFileSchema", () => {
  it("accepts the seed's file", () => {
    expect(problems(seed)).toEqual([]);
  });

  it("names the field and the allowed decisions for decision: MAYBE", () => {
    expect(problems(withRule(rule({ decision: "MAYBE" })))).toEqual([
      "rules[0].decision: must be one of ALLOW, DENY, REQUIRE_APPROVAL, ALLOW_WITH_CONSTRAINTS",
    ]);
  });

  it("refuses an unknown key and suggests the one meant", () => {
    expect(problems(withRule(rule({ match: { lables: { "mcp.action": "read" } } })))).toEqual([
      'rules[0].match: unknown key (did you mean "labels"?); allowed: labels, risk_tags, mcp',
    ]);
    expect(problems({ ...seed, rule: [] })[0]).toBe('(root): unknown key (did you mean "rules"?); allowed: version, rules');
  });

  it("refuses an mcp. label the envelope does not have", () => {
    expect(problems(withRule(rule({ match: { labels: { "mcp.acton": "read" } } })))).toEqual([
      'rules[0].match.labels["mcp.acton"]: unknown mcp label (did you mean "mcp.action"?); the mcp. labels are mcp.action, mcp.server, mcp.method, mcp.target, mcp.tool',
    ]);
  });

  it("accepts the operator's own labels", () => {
    expect(problems(withRule(rule({ match: { labels: { team: ["core", "infra"], tier: "*" } } })))).toEqual([]);
  });

  it("refuses an action that is not read, write or destructive", () => {
    expect(problems(withRule(rule({ match: { labels: { "mcp.action": "reed" } } })))[0]).toMatch(/^rules\[0\]\.match\.labels\["mcp\.action"\]: expected one of read, write, destructive/);
  });

  it('refuses "*" inside a list and empty lists', () => {
    expect(problems(withRule(rule({ match: { labels: { "mcp.server": ["github", "*"] } } })))).toEqual([
      'rules[0].match.labels["mcp.server"][1]: "*" matches any value on its own; it cannot be part of a list',
    ]);
    expect(problems(withRule(rule({ match: { risk_tags: [] } })))).toEqual(["rules[0].match.risk_tags: the list is empty"]);
  });

  it("refuses a match without conditions, once", () => {
    expect(problems(withRule(rule({ match: {} })))).toEqual([
      'rules[0].match: needs at least one condition; to match every call write labels: {mcp.server: "*"}',
    ]);
  });

  it("types the constraints", () => {
    const bad = rule({ decision: "ALLOW_WITH_CONSTRAINTS", constraints: { max_runtime_sec: 0, max_retries: 1.5, network_allowlist: ["https://api.github.com"], max_retry: 2 } });
    expect(problems(withRule(bad))).toEqual([
      expect.stringMatching(/^rules\[0\]\.constraints\.max_runtime_sec: /),
      expect.stringMatching(/^rules\[0\]\.constraints\.max_retries: /),
      "rules[0].constraints.network_allowlist[0]: expected a lower-case hostname such as api.github.com (no scheme, port, path or wildcard)",
      expect.stringMatching(/^rules\[0\]\.constraints: unknown key \(did you mean "max_retries"\?\)/),
    ]);
  });

  it("ties constraints to the decision", () => {
    expect(problems(withRule(rule({ decision: "ALLOW_WITH_CONSTRAINTS" })))).toEqual([
      "rules[0].decision: ALLOW_WITH_CONSTRAINTS needs a non-empty constraints block",
    ]);
    expect(problems(withRule(rule({ decision: "DENY", constraints: { max_retries: 0 } })))).toEqual(["rules[0].constraints: a DENY rule takes no constraints"]);
  });

  it("refuses duplicate ids, reserved ids and other versions", () => {
    expect(problems({ version: "v1", rules: [rule({}), rule({})] })).toEqual(["rules[1].id: duplicate rule id; rules[0] has it too"]);
    expect(problems(withRule(rule({ id: "mcpgov.default-deny" })))).toEqual(["rules[0].id: ids starting with mcpgov. are reserved for mcpgov"]);
    expect(problems({ ...seed, version: 1 })).toEqual(["version: must be v1"]);
  });

  it("prints as a JSON Schema for `mcpgov schema`", () => {
    const schema = z.toJSONSchema(YamlRuleFileSchema, { io: "input", target: "draft-2020-12" }) as { additionalProperties?: unknown; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["version", "rules"]);
  });
});

describe("normaliseYamlRules", () => {
  it("turns every label matcher into a list or *, and fills the defaults", () => {
    const data = normaliseYamlRules("policy/mcp-governance-policy.yaml", YamlRuleFileSchema.parse(seed) as YamlRuleFile);
    expect(data.file).toBe("policy/mcp-governance-policy.yaml");
    expect(data.rules[0]).toEqual({
      id: "allow-read-approved-servers",
      decision: "ALLOW",
      labels: { "mcp.action": ["read"], "mcp.server": approved },
      risk_tags: [],
      constraints: {},
    });
    expect(data.rules[3]).toEqual({
      id: "deny-unregistered-server",
      decision: "DENY",
      labels: { "mcp.server": "*" },
      risk_tags: [],
      deny_servers_not_in: approved,
      constraints: {},
    });
  });
});

describe("didYouMean", () => {
  it("finds near misses and swaps, and nothing for unrelated words", () => {
    expect(didYouMean("lables", ["labels", "risk_tags", "mcp"])).toBe("labels");
    expect(didYouMean("risk_tag", ["labels", "risk_tags", "mcp"])).toBe("risk_tags");
    expect(didYouMean("constraint", ["constraints"])).toBe("constraints");
    expect(didYouMean("priority", ["labels", "risk_tags", "mcp"])).toBeUndefined();
  });
});
