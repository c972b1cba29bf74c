import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionSchema } from "../src/core/decision.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";
import { runCli, spawnCli } from "./helpers/cli.js";

let dir: string;
let bundle: string;
const example = (name: string) => join(referencePolicy, "examples", `${name}.json`);

beforeAll(async () => {
  dir = await tempDir();
  bundle = await buildReference(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("mcpgov eval", () => {
  it("prints one JSON decision with bundle hash and revision", async () => {
    const result = await runCli(["eval", "--bundle", bundle, "--input", example("2-production-write"), "--format", "json"]);
    expect(result.code).toBe(0);
    const decision = DecisionSchema.parse(JSON.parse(result.stdout));
    expect(decision).toMatchObject({
      decision: "REQUIRE_APPROVAL",
      rules: ["require-approval-production-write"],
      constraints: { max_runtime_sec: 60, max_retries: 1 },
      bundle: { revision: "test" },
    });
    expect(decision.reason).toContain("needs human approval");
  });

  it("prints a readable decision by default", async () => {
    const result = await runCli(["eval", "-b", bundle, "-i", example("3-non-production-write")]);
    expect(result.stdout).toMatch(/^decision\s+ALLOW_WITH_CONSTRAINTS$/m);
    expect(result.stdout).toMatch(/^constraints\s+max_runtime_sec=30 network_allowlist=api\.github\.com,api\.slack\.com$/m);
  });

  it("reads the envelope from stdin", async () => {
    const stdin = await readFile(example("1-read-approved-server"), "utf8");
    const result = await runCli(["eval", "-b", bundle, "-i", "-", "--format", "json"], { stdin });
    expect(JSON.parse(result.stdout).decision).toBe("ALLOW");
  });

  it("exits 0 with a fail-closed DENY for an envelope that does not validate", async () => {
    const bad = join(dir, "bad-envelope.json");
    await writeFile(bad, JSON.stringify({ version: "v2" }));
    const result = await runCli(["eval", "-b", bundle, "-i", bad, "--format", "json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: "DENY", fail_closed: "invalid_envelope" });
  });

  it("names the file, line and column of broken JSON without echoing it", async () => {
    const bad = join(dir, "broken.json");
    await writeFile(bad, '{\n  "version": "v1",\n  "call": {"token": "ghp_secret"\n}');
    const result = await runCli(["eval", "-b", bundle, "-i", bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:4:2: invalid JSON`));
    expect(result.stderr).not.toContain("ghp_secret");
  });

  it("names a missing input file", async () => {
    const result = await runCli(["eval", "-b", bundle, "-i", join(dir, "missing.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read");
    expect(result.stderr).toContain("ENOENT");
  });
});

describe("mcpgov schema", () => {
  it("prints the envelope's JSON Schema generated from zod", async () => {
    const result = await runCli(["schema", "envelope"]);
    const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(["version", "call", "server", "labels", "risk_tags", "subject", "context"]));
    expect(JSON.stringify(schema.properties["labels"])).toContain("mcp.action");
    expect(JSON.stringify(schema.properties["version"])).toContain("v2");
    expect(JSON.stringify(schema.properties["call"])).toContain("egress");
  });

  it("still prints the v1 envelope's schema, for recordings made before v2", async () => {
    const schema = JSON.parse((await runCli(["schema", "envelope-v1"])).stdout) as { properties: Record<string, unknown> };
    expect(JSON.stringify(schema.properties["version"])).toContain("v1");
  });

  it("prints the decision's JSON Schema", async () => {
    const schema = JSON.parse((await runCli(["schema", "decision"])).stdout) as { properties: Record<string, { enum?: string[] }> };
    expect(schema.properties["decision"]?.enum).toEqual(["ALLOW", "DENY", "REQUIRE_APPROVAL", "ALLOW_WITH_CONSTRAINTS"]);
  });
});

describe("every published schema", () => {
  it.each([
    ["output-input", "findings"],
    ["output-decision", "redact_types"],
    ["yaml-rules", "rules"],
    ["config", "servers"],
    ["audit-record", "prev_hash"],
  ])("%s is a JSON Schema that names %s", async (name, property) => {
    const result = await runCli(["schema", name]);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $schema: string; properties?: Record<string, unknown>; anyOf?: { properties: Record<string, unknown> }[] };
    expect(schema.$schema).toContain("2020-12");
    // A union (the audit record's kinds) names the property in every member.
    for (const member of schema.anyOf ?? [schema]) expect(Object.keys(member.properties ?? {})).toContain(property);
  });
});

describe("the installed command", () => {
  it("runs as a real process and maps an unknown command to exit 1", () => {
    const result = spawnCli(["frobnicate"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Unknown argument: frobnicate");
  });

  it("demo builds the reference bundle and decides the seed's four calls", () => {
    const result = spawnCli(["demo", "--no-serve", "-o", join(dir, "demo.tar.gz")]);
    expect(result.code).toBe(0);
    for (const kind of ["ALLOW", "REQUIRE_APPROVAL", "ALLOW_WITH_CONSTRAINTS", "DENY"]) {
      expect(result.stdout).toMatch(new RegExp(`decision  ${kind} `));
    }
  });
});
