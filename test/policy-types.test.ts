/**
 * Policy is type-checked against the input its entrypoint reads: a rule
 * that reads a field the input does not have, or uses one with the wrong
 * type, fails `mcpgov build` (and `mcpgov test`) with its file and line.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../src/toolchain/build.js";
import { inputJsonSchema, INPUT_TYPES_DIR } from "../src/toolchain/input-types.js";
import { stagePolicy } from "../src/toolchain/stage.js";
import { copyReference, tempDir, writeFiles } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";

let dir: string;

beforeAll(async () => {
  dir = await tempDir("mcpgov-types-");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const rule = (pkg: string, body: string, header = ""): string =>
  `${header}package ${pkg}\n\nimport rego.v1\n\nimport data.mcpgov.lib.result\n\nhits contains result.deny("${pkg}", "x") if {\n${body}\n}\n`;

async function buildFails(name: string, files: Record<string, string>): Promise<string> {
  const policy = join(dir, name);
  await writeFiles(policy, files);
  const result = await runCli(["build", policy, "-o", join(dir, `${name}.tar.gz`)]);
  expect(result.code).toBe(1);
  return result.stderr;
}

describe("mcpgov build type-checks input", () => {
  it("refuses a misspelt envelope field, with file and line, and says what is there", async () => {
    const policy = join(dir, "typo");
    const header = "# METADATA\n# title: typo\n# description: reads a field the envelope does not have\n";
    const stderr = await buildFails("typo", { "mcpgov/rules/typo/rule.rego": rule("mcpgov.rules.typo", '\tinput.call.argumnets.path == "/etc"', header) });
    expect(stderr).toContain(`${join(policy, "mcpgov", "rules", "typo", "rule.rego")}:11:2: rego_type_error: undefined ref: input.call.argumnets.path`);
    expect(stderr).toMatch(/input\.call has no "argumnets"; it has arguments, arguments_digest/);
  });

  it("refuses a field used with the wrong type", async () => {
    const policy = join(dir, "wrong-type");
    const stderr = await buildFails("wrong-type", { "rules/wrong.rego": rule("mcpgov.rules.wrong", "\tinput.call.arguments == 3") });
    expect(stderr).toContain(`${join(policy, "rules", "wrong.rego")}:8:2: rego_type_error: match error: object compared with number`);
  });

  it("types output and catalog rules by their own inputs, not the envelope", async () => {
    const policy = join(dir, "per-entrypoint");
    const stderr = await buildFails("per-entrypoint", {
      // the envelope's fields are not in the output or catalog input …
      "out.rego": "package mcpgov.output_rules.o\n\nimport rego.v1\n\nhits contains 1 if {\n\tinput.call.arguments\n}\n",
      "cat.rego": "package mcpgov.catalog_rules.c\n\nimport rego.v1\n\nhits contains 1 if {\n\tinput.labels\n}\n",
      // … and their own fields type-check
      "ok-out.rego": 'package mcpgov.output_rules.ok\n\nimport rego.v1\n\nhits contains 1 if {\n\tinput.payload_kind == "tool_result"\n\tinput.findings[_].type == "email"\n}\n',
      "ok-cat.rego": 'package mcpgov.catalog_rules.ok\n\nimport rego.v1\n\nhits contains 1 if {\n\tinput.findings[_].type == "zero_width"\n}\n',
    });
    expect(stderr).toContain(`${join(policy, "out.rego")}:6:2: rego_type_error: undefined ref: input.call.arguments`);
    expect(stderr).toContain(`${join(policy, "cat.rego")}:6:2: rego_type_error: undefined ref: input.labels`);
    expect(stderr).not.toContain("ok-out.rego");
    expect(stderr).not.toContain("ok-cat.rego");
  });

  it("builds the reference pack, the seed's YAML pack and the v2 fixture", async () => {
    for (const [name, policy] of [
      ["reference", join(repoRoot, "policy", "reference")],
      ["seed-yaml", join(repoRoot, "policy", "seed-yaml")],
      ["policy-v2", join(repoRoot, "test", "fixtures", "policy-v2")],
    ] as const) {
      const result = await buildBundle({ policyDir: policy, output: join(dir, `${name}.tar.gz`) });
      // the generated typing modules are for the checker only
      expect(result.files.some((file) => file.startsWith(INPUT_TYPES_DIR))).toBe(false);
    }
  });

  it("closes the envelope's objects and keeps free-form maps open", () => {
    const envelope = inputJsonSchema("envelope") as { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown; properties?: Record<string, { additionalProperties?: unknown }> }> };
    expect(envelope.additionalProperties).toBe(false);
    expect(envelope.properties["call"]!.additionalProperties).toBe(false);
    expect(envelope.properties["call"]!.properties!["arguments"]!.additionalProperties).toEqual({});
  });

  it("refuses a policy folder that would shadow the generated input types", async () => {
    const stderr = await buildFails("reserved", { [`${INPUT_TYPES_DIR}/x.rego`]: "package mcpgov.rules.x\n" });
    expect(stderr).toContain(`${INPUT_TYPES_DIR} is reserved`);
  });
});

describe("mcpgov test type-checks the same way", () => {
  it("reports a misspelt field in a rule as a compile error with file and line", async () => {
    const policy = await copyReference(join(dir, "test-typo"));
    const file = join(policy, "mcpgov", "rules", "allow_read_registered", "rule.rego");
    const text = await readFile(file, "utf8");
    await writeFiles(policy, { "mcpgov/rules/allow_read_registered/rule.rego": `${text}\nsneaky if input.subject.scopez\n` });
    const line = text.split("\n").length + 1;
    const result = await runCli(["test", policy]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:${line}:`);
    expect(result.stderr).toContain("undefined ref: input.subject.scopez");
  });

  it("stages the schemas beside the policy and cleans them up", async () => {
    const staged = await stagePolicy(join(repoRoot, "policy", "reference"));
    try {
      const envelope = JSON.parse(await readFile(join(staged.schemaDir, "envelope.json"), "utf8")) as { properties: Record<string, unknown> };
      expect(Object.keys(envelope.properties)).toContain("call");
      expect(staged.regoSources.some((file) => file.startsWith(INPUT_TYPES_DIR))).toBe(false);
    } finally {
      await staged.cleanup();
    }
  });
});
