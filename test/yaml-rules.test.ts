import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readBundle } from "../src/bundle/bundle.js";
import { canonicalJson } from "../src/core/canonical.js";
import type { Decision } from "../src/core/decision.js";
import { buildEnvelope, type Action } from "../src/core/envelope.js";
import { type Diagnostic, McpgovError } from "../src/core/errors.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { buildBundle } from "../src/toolchain/build.js";
import { runOpa } from "../src/toolchain/opa.js";
import { stagePolicy } from "../src/toolchain/stage.js";
import { YAML_RULES_DATA } from "../src/toolchain/yaml-rules.js";
import { referencePolicy, tempDir, writeFiles } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";

const seedPolicy = join(repoRoot, "policy", "seed-yaml");
const seedFile = "mcp-governance-policy.yaml";

interface SeedCase {
  name: string;
  envelope_file: string;
  expect: { decision: string; rules: string[]; matched?: string[]; constraints: Record<string, unknown> };
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir("mcpgov-yaml-");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function engineFor(policyDir: string, name: string): Promise<WasmPolicyEngine> {
  const built = await buildBundle({ policyDir, output: join(dir, `${name}.tar.gz`), revision: "test" });
  return WasmPolicyEngine.fromFile(built.output);
}

/** The diagnostics of a build that must fail. */
async function buildDiagnostics(policyDir: string): Promise<Diagnostic[]> {
  const error: unknown = await buildBundle({ policyDir, output: join(dir, "never.tar.gz") }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(McpgovError);
  expect((error as McpgovError).code).toBe("policy_compile_error");
  return (error as McpgovError).data.diagnostics ?? [];
}

/** A copy of the seed's folder with line `line` (1-based) of its YAML file replaced. */
async function seedCopyWith(name: string, line: number, text: string): Promise<string> {
  const copy = join(dir, name);
  await cp(seedPolicy, copy, { recursive: true });
  const lines = (await readFile(join(copy, seedFile), "utf8")).split("\n");
  lines[line - 1] = text;
  await writeFile(join(copy, seedFile), lines.join("\n"));
  return copy;
}

describe("the seed's mcp-governance-policy.yaml", () => {
  let engine: WasmPolicyEngine;
  beforeAll(async () => {
    engine = await engineFor(seedPolicy, "seed");
  });

  // Read at collection time: it.each needs the cases before any hook runs.
  const cases = (parse(readFileSync(join(seedPolicy, "seed.cases.yaml"), "utf8")) as { cases: SeedCase[] }).cases;

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, seedCase) => {
    const envelope: unknown = JSON.parse(await readFile(join(seedPolicy, seedCase.envelope_file), "utf8"));
    const decision: Decision = engine.decide(envelope);
    expect(decision.fail_closed).toBeUndefined();
    expect(decision.decision).toBe(seedCase.expect.decision);
    expect([...decision.rules].sort()).toEqual([...seedCase.expect.rules].sort());
    if (seedCase.expect.matched) expect(decision.matched.map((m) => m.rule).sort()).toEqual([...seedCase.expect.matched].sort());
    expect(decision.constraints).toEqual(seedCase.expect.constraints);
  });

  it("has a case in which each of its four rules decides", () => {
    const deciding = new Set(cases.flatMap((c) => c.expect.rules));
    for (const id of ["allow-read-approved-servers", "require-approval-production-write", "constrain-medium-risk", "deny-unregistered-server"]) {
      expect(deciding).toContain(id);
    }
  });

  it("ships its rules as data named by the file's relative path", async () => {
    const bundle = await readBundle(join(dir, "seed.tar.gz"));
    const data = JSON.parse(bundle.files.get("data.json")!.toString("utf8")) as { mcpgov: { yaml_rules: { file: string; rules: { id: string }[] }[] } };
    expect(data.mcpgov.yaml_rules.map((s) => s.file)).toEqual([seedFile]);
    expect(data.mcpgov.yaml_rules[0]!.rules.map((r) => r.id)).toHaveLength(4);
  });
});

describe("a malformed YAML rule file", () => {
  it("names file, line and field for decision: MAYBE", async () => {
    const policy = await seedCopyWith("maybe", 15, "    decision: MAYBE");
    expect(await buildDiagnostics(policy)).toEqual([
      {
        file: join(policy, seedFile),
        line: 15,
        column: 15,
        code: "yaml_rule_error",
        message: "rules[1].decision: must be one of ALLOW, DENY, REQUIRE_APPROVAL, ALLOW_WITH_CONSTRAINTS",
      },
    ]);
    const cli = await runCli(["build", policy, "-o", join(dir, "never.tar.gz")]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`${join(policy, seedFile)}:15:15: yaml_rule_error: rules[1].decision: must be one of`);
  });

  it("refuses the typo lables instead of matching every call", async () => {
    const policy = await seedCopyWith("lables", 5, "      lables:");
    expect(await buildDiagnostics(policy)).toEqual([
      expect.objectContaining({ line: 5, column: 7, message: 'rules[0].match.lables: unknown key (did you mean "labels"?); allowed: labels, risk_tags, mcp' }),
    ]);
  });

  it("reports a YAML syntax error at its line", async () => {
    const policy = await seedCopyWith("syntax", 21, '    match: {labels: {mcp.action: "write"}');
    const [diagnostic] = await buildDiagnostics(policy);
    expect(diagnostic).toMatchObject({ file: join(policy, seedFile), code: "yaml_rule_error", message: expect.stringMatching(/^YAML: /) });
    expect(diagnostic!.line).toBeGreaterThanOrEqual(21);
  });

  it("refuses a rule id used by another YAML file or by a Rego rule", async () => {
    const policy = join(dir, "duplicates");
    await cp(seedPolicy, policy, { recursive: true });
    await writeFiles(policy, {
      "team/extra.policy.yaml": "version: v1\nrules:\n  - id: other\n    match: {risk_tags: [pii]}\n    decision: DENY\n  - id: constrain-medium-risk\n    match: {risk_tags: [pii]}\n    decision: DENY\n",
      "rules/deny_pii.rego":
        'package mcpgov.rules.deny_pii\n\nimport rego.v1\n\nimport data.mcpgov.lib.result\n\nhits contains result.deny("other", "pii") if "pii" in input.risk_tags\n',
    });
    expect(await buildDiagnostics(policy)).toEqual([
      expect.objectContaining({
        file: join(policy, "team", "extra.policy.yaml"),
        line: 6,
        message: `rules[1].id: duplicate rule id "constrain-medium-risk"; ${join(policy, seedFile)}:20 defines it too`,
      }),
      expect.objectContaining({
        file: join(policy, "team", "extra.policy.yaml"),
        line: 3,
        message: `rules[0].id: duplicate rule id "other"; the Rego rule at ${join(policy, "rules", "deny_pii.rego")}:7 uses it too`,
      }),
    ]);
  });
});

describe("a policy folder mixing Rego rules and a YAML file", () => {
  const regoRule = (name: string, id: string, helper: string, args: string, condition: string): string =>
    `# METADATA\n# title: ${id}\npackage mcpgov.rules.${name}\n\nimport rego.v1\n\nimport data.mcpgov.lib.result\n\nhits contains result.${helper}("${id}", ${args}) if ${condition}\n`;

  let engine: WasmPolicyEngine;
  beforeAll(async () => {
    const policy = join(dir, "mixed");
    await writeFiles(policy, {
      "team.policy.yaml": [
        "version: v1",
        "rules:",
        "  - id: allow-github",
        "    match: {labels: {mcp.server: github}}",
        "    decision: ALLOW",
        "  - id: constrain-jira-writes",
        "    match: {labels: {mcp.server: jira, mcp.action: write}}",
        "    decision: ALLOW_WITH_CONSTRAINTS",
        "    constraints: {max_runtime_sec: 20, network_allowlist: [api.github.com, jira.example.com]}",
        "",
      ].join("\n"),
      "rules/approve_destructive/rule.rego": regoRule("approve_destructive", "approve-destructive", "require_approval", '"destructive", {"max_runtime_sec": 10}', 'input.labels["mcp.action"] == "destructive"'),
      "rules/bounded_writes/rule.rego": regoRule(
        "bounded_writes",
        "bounded-writes",
        "allow_with_constraints",
        '"writes stay bounded", {"max_runtime_sec": 45, "network_allowlist": ["jira.example.com"]}',
        'input.labels["mcp.action"] == "write"',
      ),
    });
    engine = await engineFor(policy, "mixed");
  });

  function call(server: string, tool: string, action: Action) {
    const args = { tool };
    const digest = `sha256:${createHash("sha256").update(canonicalJson(args)).digest("hex")}`;
    return buildEnvelope({
      callId: `c-${tool}`,
      server,
      tool,
      arguments: args,
      argumentsDigest: digest,
      action,
      registry: { risk_tags: [] },
      subject: { id: "agent-7" },
      time: "2026-04-01T09:30:00Z",
    });
  }

  it("lets a YAML rule decide alone", () => {
    const decision = engine.decide(call("github", "get_issue", "read"));
    expect(decision).toMatchObject({ decision: "ALLOW", rules: ["allow-github"], reason: "allow-github: matched YAML rule allow-github (team.policy.yaml)" });
  });

  it("lets the more restrictive Rego rule win over a YAML allow", () => {
    const decision = engine.decide(call("github", "delete_repository", "destructive"));
    expect(decision.decision).toBe("REQUIRE_APPROVAL");
    expect(decision.rules).toEqual(["approve-destructive"]);
    expect(decision.matched).toEqual([
      { rule: "allow-github", decision: "ALLOW" },
      { rule: "approve-destructive", decision: "REQUIRE_APPROVAL" },
    ]);
    expect(decision.constraints).toEqual({ max_runtime_sec: 10 });
  });

  it("names YAML and Rego rules of the winning kind together and merges their constraints", () => {
    const decision = engine.decide(call("jira", "create_ticket", "write"));
    expect(decision.decision).toBe("ALLOW_WITH_CONSTRAINTS");
    expect(decision.rules).toEqual(["bounded-writes", "constrain-jira-writes"]);
    expect(decision.constraints).toEqual({ max_runtime_sec: 20, network_allowlist: ["jira.example.com"] });
  });

  it("still denies what no rule of either kind matches", () => {
    expect(engine.decide(call("slack", "post_message", "read")).rules).toEqual(["mcpgov.default-deny"]);
  });
});

describe("staging", () => {
  it("keeps the folder of the generated data for mcpgov", async () => {
    const policy = join(dir, "reserved");
    await cp(seedPolicy, policy, { recursive: true });
    await writeFiles(policy, { "mcpgov/yaml_rules/data.json": "[]" });
    await expect(buildBundle({ policyDir: policy, output: join(dir, "never.tar.gz") })).rejects.toThrow(/mcpgov\/yaml_rules is reserved/);
  });

  it.each([
    ["policy/reference", referencePolicy, false],
    ["policy/seed-yaml", seedPolicy, true],
  ])("%s: the library's own Rego tests pass under opa test", async (_name, policyDir, hasYaml) => {
    const staged = await stagePolicy(policyDir);
    try {
      expect(existsSync(join(staged.dir, YAML_RULES_DATA))).toBe(hasYaml);
      const run = await runOpa(["test", "-b", "."], { cwd: staged.dir });
      expect(run.stdout + run.stderr).toMatch(/PASS: \d+\/\d+/);
      expect(run.status).toBe(0);
    } finally {
      await staged.cleanup();
    }
  });
});
