import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundle } from "../src/bundle/bundle.js";
import { wasmEntrypointsOf } from "../src/bundle/manifest.js";
import { buildBundle } from "../src/toolchain/build.js";
import { runOpa } from "../src/toolchain/opa.js";
import { stagePolicy } from "../src/toolchain/stage.js";
import { buildReference, copyReference, referencePolicy, tamper, tempDir, writeFiles } from "./helpers/bundles.js";
import { runCli, spawnCli } from "./helpers/cli.js";

let dir: string;
let reference: string;

beforeAll(async () => {
  dir = await tempDir();
  reference = await buildReference(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("mcpgov build", () => {
  it("writes an OPA bundle with manifest, WASM, data and a content-hash stamp", async () => {
    const bundle = await readBundle(reference);
    expect([...bundle.files.keys()]).toEqual(expect.arrayContaining([".manifest", "policy.wasm", "data.json"]));
    expect(bundle.manifest.revision).toBe("test");
    expect(wasmEntrypointsOf(bundle.manifest)).toEqual([
      { entrypoint: "mcpgov/decision/result", module: "/policy.wasm" },
      { entrypoint: "mcpgov/output/result", module: "/policy.wasm" },
      { entrypoint: "mcpgov/catalog/result", module: "/policy.wasm" },
    ]);
    // not in OPA's own `wasm` field, which would make OPA require a WASM engine
    expect(bundle.manifest.wasm).toBeUndefined();
    expect(bundle.manifest.roots).toEqual(["mcpgov"]);
    expect(bundle.stamp).toBe(bundle.hash);
    expect(bundle.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // test files never ship
    expect([...bundle.files.keys()].some((name) => name.endsWith("_test.rego"))).toBe(false);
  });

  it("gives the same hash for the same sources wherever they live", async () => {
    const copy = await copyReference(join(dir, "elsewhere"));
    const again = await buildBundle({ policyDir: copy, output: join(dir, "again.tar.gz"), revision: "test" });
    expect(again.hash).toBe((await readBundle(reference)).hash);
  });

  it("changes the hash when one data byte changes", async () => {
    const copy = await copyReference(join(dir, "changed"));
    const dataFile = join(copy, "mcpgov", "config", "data.json");
    await writeFile(dataFile, (await readFile(dataFile, "utf8")).replace('"max_runtime_sec": 60', '"max_runtime_sec": 61'));
    const changed = await buildBundle({ policyDir: copy, output: join(dir, "changed.tar.gz"), revision: "test" });
    expect(changed.hash).not.toBe((await readBundle(reference)).hash);
  });

  it("changes the hash when the revision changes", async () => {
    const other = await buildBundle({ policyDir: referencePolicy, output: join(dir, "r2.tar.gz"), revision: "r2" });
    expect(other.hash).not.toBe((await readBundle(reference)).hash);
  });

  it("refuses a builtin the WASM engine cannot evaluate, naming file and line", async () => {
    const policy = join(dir, "clock");
    await writeFiles(policy, {
      "rules/clock.rego": "package mcpgov.rules.clock\n\nimport rego.v1\n\nhits contains {} if {\n\ttime.now_ns() > 0\n}\n",
    });
    const result = await runCli(["build", policy, "-o", join(dir, "clock.tar.gz")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(policy, "rules", "clock.rego")}:6:2: rego_type_error: builtin time.now_ns is not supported`);
  });

  it("refuses http.send and sprintf with the reason", async () => {
    const policy = join(dir, "net");
    await writeFiles(policy, {
      "net.rego": 'package mcpgov.rules.net\n\nimport rego.v1\n\nhits contains x if {\n\tx := sprintf("%v", [1])\n\thttp.send({"method": "get", "url": "http://127.0.0.1"})\n}\n',
    });
    const result = await runCli(["build", policy, "-o", join(dir, "net.tar.gz")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/net\.rego:6:\d+: rego_type_error: builtin sprintf is not allowed in mcpgov bundles: .*differs from OPA/);
    expect(result.stderr).toMatch(/net\.rego:7:\d+: rego_type_error: builtin http\.send is not supported/);
  });

  it("reports a Rego syntax error with file and line", async () => {
    const policy = join(dir, "syntax");
    await writeFiles(policy, { "a/b.rego": "package mcpgov.rules.b\n\nhits contains 1 if {\n\tinput.x ==\n}\n" });
    const result = await runCli(["build", policy, "-o", join(dir, "syntax.tar.gz")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(policy, "a", "b.rego")}:5:1: rego_parse_error:`);
  });

  it("refuses a policy file that would shadow mcpgov's library", async () => {
    const policy = join(dir, "shadow");
    await writeFiles(policy, { "mcpgov/decision/decision.rego": 'package mcpgov.decision\n\nresult := {"decision": "ALLOW"}\n' });
    const result = await runCli(["build", policy, "-o", join(dir, "shadow.tar.gz")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has the same path as mcpgov's library file");
  });

  it("names a missing policy folder", async () => {
    const result = await runCli(["build", join(dir, "nope"), "-o", join(dir, "x.tar.gz")]);
    expect(result).toMatchObject({ code: 1 });
    expect(result.stderr).toContain(`policy directory not found: ${join(dir, "nope")}`);
  });
});

describe("mcpgov hash", () => {
  it("prints the hash of an intact bundle", async () => {
    const result = await runCli(["hash", reference]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe((await readBundle(reference)).hash);
  });

  it("fails on a tampered bundle and says so", async () => {
    const tampered = join(dir, "tampered.tar.gz");
    await tamper(reference, tampered, "mcpgov/rules/deny_unregistered_server/rule.rego", (b) => Buffer.from(`${b}\n# edited`));
    const result = await runCli(["hash", tampered]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("content does not match its stamp");
    expect(result.stderr).toContain("modified after it was built");
  });
});

describe("the reference pack's Rego unit tests", () => {
  it("pass under the real opa test", async () => {
    const staged = await stagePolicy(referencePolicy);
    try {
      const run = await runOpa(["test", "-b", ".", "--format", "json"], { cwd: staged.dir });
      const results = JSON.parse(run.stdout) as { name: string; fail?: boolean; error?: unknown }[];
      expect(run.status).toBe(0);
      expect(results.length).toBeGreaterThanOrEqual(30);
      expect(results.filter((r) => r.fail || r.error)).toEqual([]);
      // every rule has a test file beside it
      for (const rule of ["allow_read_registered", "require_approval_production_write", "constrain_non_prod_write", "deny_unregistered_server"]) {
        expect(results.some((r) => r.name.startsWith("test_") && JSON.stringify(r).includes(rule))).toBe(true);
      }
    } finally {
      await staged.cleanup();
    }
  });
});

describe("without the OPA CLI", () => {
  it("says exactly what to install", async () => {
    const bare = join(dir, "bare-tools");
    await mkdir(bare, { recursive: true });
    const env = { PATH: "/usr/bin:/bin", MCPGOV_TOOLS_DIR: bare, HOME: process.env["HOME"] ?? "/root" };
    const result = spawnCli(["build", "policy/reference", "-o", join(dir, "x.tar.gz")], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the OPA CLI v1.22.2 was not found");
    expect(result.stderr).toMatch(/install Go .* or install OPA v1\.22\.2 on PATH, or set MCPGOV_OPA/);
  });

  it("rejects an MCPGOV_OPA that is not an opa binary", () => {
    const result = spawnCli(["build", "policy/reference", "-o", join(dir, "x.tar.gz")], { ...process.env, MCPGOV_OPA: "/bin/false" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("MCPGOV_OPA=/bin/false is not a runnable opa binary");
  });
});
