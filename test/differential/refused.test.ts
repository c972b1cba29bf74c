/**
 * Every class of builtin the differential harness found disagreeing with
 * OPA is refused at build time, with the file, the line, why, and what to
 * use instead (the harness itself, builtins.test.ts, shows each
 * disagreement).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXCLUDED_BUILTINS } from "../../src/toolchain/capabilities.js";
import { tempDir, writeFiles } from "../helpers/bundles.js";
import { runCli } from "../helpers/cli.js";

const USES: ReadonlyArray<[builtin: string, line: string]> = [
  ["format_int", "format_int(a.n, 10)"],
  ["div", "10 / a.n"],
  ["base64.decode", "base64.decode(a.s)"],
  ["base64.is_valid", "base64.is_valid(a.s)"],
  ["json.marshal", "json.marshal(a)"],
  ["json.is_valid", "json.is_valid(a.s)"],
  ["yaml.unmarshal", "yaml.unmarshal(a.s)"],
  ["net.cidr_contains", 'net.cidr_contains("10.0.0.0/8", a.s)'],
  ["replace", 'replace(a.s, "", "x")'],
  ["sprintf", 'sprintf("%v", [a.s])'],
];

describe("builtins that disagree with OPA are refused at build time", () => {
  let dir: string;
  let stderr: string;
  let policy: string;
  beforeAll(async () => {
    dir = await tempDir("mcpgov-refused-");
    policy = join(dir, "policy");
    const body = USES.map(([, use], i) => `r${i} := ${use} if {\n\ta := input.call.arguments\n}\n`).join("\n");
    await writeFiles(policy, { "refused.rego": `package mcpgov.rules.refused\n\nimport rego.v1\n\n${body}` });
    const result = await runCli(["build", policy, "-o", join(dir, "refused.tar.gz")]);
    expect(result.code).toBe(1);
    stderr = result.stderr;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(USES.map(([builtin], i) => [builtin, i] as const))("%s, with file, line, why and what instead", (builtin, i) => {
    // Each rule takes three lines and a blank one, after four lines of header.
    const line = 5 + i * 4;
    const escaped = builtin.replace(/\./g, "\\.");
    expect(stderr).toMatch(new RegExp(`refused\\.rego:${line}:\\d+: rego_type_error: builtin ${escaped} is not allowed in mcpgov bundles`));
    expect(stderr).toContain(EXCLUDED_BUILTINS[builtin]!);
  });
});
