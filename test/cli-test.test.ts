/**
 * @module `mcpgov test` end to end, in-process through run(): real `opa
 * test`, real WASM bundles, the reference policy and broken copies of it.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../cli/io.js";
import { run } from "../cli/run.js";
import { findAll, parseXml } from "./helpers/xml.js";

const REFERENCE = "policy/reference";

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), stdin: async () => "", env };
  return { io, out: () => out.join("\n"), err: () => err.join("\n") };
}

async function mcpgov(args: string[], env: Record<string, string> = {}) {
  const c = capture(env);
  const code = await run(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

let work: string;

/** A copy of the reference policy, changed by `edit`. */
async function copyReference(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(work, name);
  await cp(REFERENCE, dir, { recursive: true });
  await edit(dir);
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "mcpgov-cli-test-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("mcpgov test on the reference policy", () => {
  it("passes: Rego tests and cases, every rule exercised", async () => {
    const { code, out } = await mcpgov(["test", REFERENCE, "-v"]);
    expect(code).toBe(0);
    expect(out).toMatch(/data\.mcpgov\.rules\.allow_read_registered_test\.test_read_on_registered_server_hits: PASS \(/);
    expect(out).toContain("policy/reference/reference.cases.yaml:");
    expect(out).toMatch(/a destructive call on a non-production server waits for approval: PASS \(/);
    expect(out).toMatch(/an untagged write is denied by default: PASS/);
    const [, passed, total] = /^PASS: (\d+)\/(\d+)$/m.exec(out) ?? [];
    expect(passed).toBe(total);
    expect(out).not.toMatch(/^FAIL/m);
    expect(out).toContain("coverage: 7/7 rules exercised");
  });

  it("writes one JSON document with tests, cases and coverage", async () => {
    const { code, out } = await mcpgov(["test", REFERENCE, "--format", "json"]);
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      passed: boolean;
      cases: { name: string; status: string; actual: { decision: string } }[];
      coverage: { exercised: number; total: number; rules: { id: string; exercised_by: string[] }[] };
    };
    expect(report.passed).toBe(true);
    expect(report.cases.map((c) => c.actual.decision).sort()).toEqual(
      // reference.cases.yaml (8) and methods.cases.yaml (5: four reads allowed, one unregistered server denied).
      ["ALLOW", "ALLOW", "ALLOW", "ALLOW", "ALLOW", "ALLOW_WITH_CONSTRAINTS", "DENY", "DENY", "DENY", "DENY", "DENY", "REQUIRE_APPROVAL", "REQUIRE_APPROVAL"],
    );
    expect(report.coverage.rules.find((r) => r.id === "deny-unregistered-server")?.exercised_by.sort()).toEqual(["case", "rego"]);
  });

  it("--run selects Rego tests by full name and cases by name", async () => {
    const { code, out } = await mcpgov(["test", REFERENCE, "--run", "unregistered|outside the registry", "--verbose"]);
    expect(code).toBe(0);
    const lines = out.split("\n").filter((l) => /: (PASS|FAIL) \(/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/unregistered|outside the registry/);
    expect(out).toContain("a server outside the registry is denied: PASS");
    expect(out).not.toContain("a read on a registered server");
  });
});

describe("mcpgov test on a broken policy", () => {
  let broken: string;

  beforeAll(async () => {
    broken = await copyReference("broken", async (dir) => {
      const file = join(dir, "mcpgov/config/data.json");
      const data = JSON.parse(await readFile(file, "utf8")) as { production_write: { max_runtime_sec: number } };
      data.production_write.max_runtime_sec = 120;
      await writeFile(file, JSON.stringify(data, null, 2));
    });
  });

  it("fails with exit 2 and a readable diff of expected and actual", async () => {
    const { code, out } = await mcpgov(["test", broken]);
    expect(code).toBe(2);
    expect(out).toContain("a production write waits for approval, then runs bounded: FAIL");
    expect(out).toContain(["  constraints.max_runtime_sec", "    - expected: 60", "    + actual:   120"].join("\n"));
    expect(out).toMatch(/reference\.cases\.yaml:14\n/);
    // The Rego test fails too, and says which expression did not hold.
    expect(out).toMatch(/test_production_write_needs_approval: FAIL/);
    expect(out).toMatch(/rule_test\.rego:11: h\.constraints == \{"max_runtime_sec": 60, "max_retries": 1\}/);
    expect(out).toMatch(/^FAIL: 3\/\d+$/m);
  });

  it("prints GitHub annotations at the case's and the test's file and line when GITHUB_ACTIONS is set", async () => {
    const { out } = await mcpgov(["test", broken], { GITHUB_ACTIONS: "true" });
    const annotations = out.split("\n").filter((l) => l.startsWith("::error "));
    expect(annotations).toContainEqual(
      expect.stringMatching(/^::error file=.*reference\.cases\.yaml,line=14,title=case "a production write waits for approval%2C then runs bounded" failed::constraints\.max_runtime_sec: expected 60, got 120$/),
    );
    expect(annotations).toContainEqual(expect.stringMatching(/^::error file=.*require_approval_production_write\/rule_test\.rego,line=8,title=Rego test .*test_production_write_needs_approval failed::line 11: /));
    const quiet = await mcpgov(["test", broken]);
    expect(quiet.out).not.toContain("::error");
  });

  it("writes well-formed JUnit XML with a suite for Rego tests and one for cases", async () => {
    const { code, out, err } = await mcpgov(["test", broken, "--format", "junit"], { GITHUB_ACTIONS: "1" });
    expect(code).toBe(2);
    const root = parseXml(out);
    expect(root.name).toBe("testsuites");
    const suites = findAll(root, "testsuite");
    expect(suites.map((s) => s.attributes["name"])).toEqual(["rego", "cases"]);
    expect(suites[0]!.attributes["failures"]).toBe("2");
    expect(suites[1]!.attributes["failures"]).toBe("1");
    const failed = findAll(suites[1]!, "testcase").find((t) => findAll(t, "failure").length > 0)!;
    expect(failed.attributes["name"]).toBe("a production write waits for approval, then runs bounded");
    expect(findAll(failed, "failure")[0]!.attributes["message"]).toBe("constraints.max_runtime_sec: expected 60, got 120");
    // Annotations must not corrupt the XML on stdout.
    expect(err).toContain("::error file=");
  });
});

describe("mcpgov test errors that stop the run", () => {
  it("reports a bad case file by file, line and field, with exit 1", async () => {
    const dir = join(work, "bad-cases");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "bad.cases.yaml");
    await writeFile(
      file,
      [
        "# line 1",
        "cases:",
        "  - name: a read",
        "    envelope_file: ../../examples/1-read-approved-server.json",
        "    expect:",
        "      rules: [allow-read-registered-server]",
        "      decision: MAYBE",
        "",
      ].join("\n"),
    );
    const { code, err } = await mcpgov(["test", REFERENCE, file]);
    expect(code).toBe(1);
    expect(err).toMatch(/bad\.cases\.yaml:7: cases\[0\]\.expect\.decision: Invalid option/);
  });

  it("reports a policy that does not compile with its file and line", async () => {
    const dir = await copyReference("no-compile", async (d) => {
      const file = join(d, "mcpgov/rules/require_approval_destructive/rule.rego");
      await writeFile(file, (await readFile(file, "utf8")).replace("env.is_destructive", "unknown_var == 1"));
    });
    const { code, err } = await mcpgov(["test", dir]);
    expect(code).toBe(1);
    expect(err).toMatch(/require_approval_destructive\/rule\.rego:18(:\d+)?: rego_\w+: /);
  });
});

describe("rule coverage", () => {
  let untested: string;

  beforeAll(async () => {
    untested = await copyReference("untested", async (dir) => {
      await mkdir(join(dir, "mcpgov/rules/deny_qa_write"), { recursive: true });
      await writeFile(
        join(dir, "mcpgov/rules/deny_qa_write/rule.rego"),
        [
          "# METADATA",
          "# title: deny-qa-write",
          "# description: Writes to QA servers are refused.",
          "package mcpgov.rules.deny_qa_write",
          "",
          "import rego.v1",
          "",
          "import data.mcpgov.lib.envelope as env",
          "import data.mcpgov.lib.result",
          "",
          'hits contains result.deny("deny-qa-write", "no writes to qa") if {',
          "\tenv.is_write",
          '\tenv.has_risk_tag("qa")',
          "}",
          "",
        ].join("\n"),
      );
    });
  });

  it("names a rule that no Rego test and no case exercised", async () => {
    const { code, out } = await mcpgov(["test", untested]);
    expect(code).toBe(0);
    expect(out).toContain("coverage: 7/8 rules exercised");
    expect(out).toMatch(/not exercised: deny-qa-write \(.*deny_qa_write\/rule\.rego:4\)/);
  });

  it("fails with exit 2 below --coverage-threshold", async () => {
    const { code, out } = await mcpgov(["test", untested, "--coverage-threshold", "90"], { GITHUB_ACTIONS: "true" });
    expect(code).toBe(2);
    expect(out).toContain("FAIL: rule coverage 87.5% is below the threshold of 90%");
    expect(out).toMatch(/^::error file=.*deny_qa_write\/rule\.rego,line=4,title=rule deny-qa-write not exercised::/m);
    expect((await mcpgov(["test", untested, "--coverage-threshold", "80"])).code).toBe(0);
  });

  it("counts a rule exercised by a case alone", async () => {
    const cases = join(untested, "qa.cases.yaml");
    const envelope = JSON.parse(await readFile(join(REFERENCE, "examples/2-production-write.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      cases,
      JSON.stringify({ cases: [{ name: "a qa write is denied", envelope: { ...envelope, risk_tags: ["qa"] }, expect: { decision: "DENY", rules: ["deny-qa-write"] } }] }),
    );
    try {
      const { code, out } = await mcpgov(["test", untested, "--format", "json"]);
      expect(code).toBe(0);
      const report = JSON.parse(out) as { coverage: { rules: { id: string; exercised_by: string[] }[] } };
      expect(report.coverage.rules.find((r) => r.id === "deny-qa-write")?.exercised_by).toEqual(["case"]);
    } finally {
      await rm(cases);
    }
  });
});
