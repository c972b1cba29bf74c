/**
 * The README cannot drift: every block that shows a command's output is
 * marked `<!-- example: NAME -->` and some test produces that output for real
 * (helpers/readme.ts compares). This file checks the marking, and runs the
 * toolchain examples verbatim in a scratch folder holding the shipped
 * examples/, the policy/ folder and a freshly built bundles/reference.tar.gz.
 * Gateway examples (audit why, approvals, quarantine, dryrun) are checked by
 * the e2e tests that produce them. Needs `npm run build` (dist/).
 */
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCorpus, writeCorpusFile } from "./fixtures/corpus.js";
import { expectExample, readmeBlocks, readmeExample, showsOutput } from "./helpers/readme.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
let scratch: string;

/** Runs each `$ ` line of the README block in bash with `mcpgov` on PATH; returns the transcript. */
async function transcriptOf(name: string): Promise<string> {
  const commands = readmeExample(name)
    .split("\n")
    .filter((line) => line.startsWith("$ "))
    .map((line) => line.slice(2));
  const parts: string[] = [];
  for (const command of commands) {
    const result = await run("bash", ["-c", `{ ${command}
} 2>&1`], {
      cwd: scratch,
      // Progress count lines depend on how long a run takes (a line per 5 s without a terminal);
      // on a terminal they are cleared at the end, which is what the examples show.
      env: { ...process.env, PATH: `${join(scratch, ".bin")}:${process.env.PATH}`, NO_COLOR: "1", MCPGOV_PROGRESS_INTERVAL_MS: "3600000" },
      maxBuffer: 16 << 20,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
    parts.push(`$ ${command}`, result.stdout.trimEnd());
  }
  return parts.join("\n");
}

async function testFilesClaiming(): Promise<Set<string>> {
  const claimed = new Set<string>();
  const scan = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await scan(path);
      else if (entry.name.endsWith(".ts")) {
        for (const m of (await readFile(path, "utf8")).matchAll(/(?:expectExample|readmeExample|toolchainExample)\(\s*"([\w.-]+)"/g)) claimed.add(m[1]!);
      }
    }
  };
  await scan(join(ROOT, "test"));
  return claimed;
}

describe("README examples", () => {
  it("every block that shows command output is marked, each marker is unique and claimed by a test", async () => {
    const blocks = readmeBlocks();
    const unmarked = blocks.filter((b) => showsOutput(b) && !b.example).map((b) => `README.md:${b.line}`);
    expect(unmarked, "blocks showing output without <!-- example: NAME -->").toEqual([]);
    const names = blocks.flatMap((b) => (b.example ? [b.example] : []));
    expect(new Set(names).size).toBe(names.length);
    const claimed = await testFilesClaiming();
    expect(names.filter((n) => !claimed.has(n)), "markers no test checks").toEqual([]);
  });

  it("the checker catches a changed output (it can fail)", () => {
    expect(() => expectExample("build-clock", "$ mcpgov build examples/policies/clock -o /tmp/clock.tar.gz\nmcpgov: built")).toThrow(/no longer matches/);
  });

  describe("toolchain examples, run verbatim", () => {
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), "mcpgov-readme-"));
      await cp(join(ROOT, "examples"), join(scratch, "examples"), { recursive: true });
      await symlink(join(ROOT, "policy"), join(scratch, "policy"));
      await mkdir(join(scratch, "test"));
      await symlink(join(ROOT, "test", "fixtures"), join(scratch, "test", "fixtures"));
      await mkdir(join(scratch, ".bin"));
      const shim = join(scratch, ".bin", "mcpgov");
      await writeFile(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, "dist", "cli", "main.js"))} "$@"\n`);
      await chmod(shim, 0o755);
      await mkdir(join(scratch, "bundles"));
      // The broken change of the test-broken example: the reference pack with a longer production-write runtime.
      await cp(join(ROOT, "policy", "reference"), join(scratch, "broken"), { recursive: true });
      const data = join(scratch, "broken", "mcpgov", "config", "data.json");
      const config = await readFile(data, "utf8");
      expect(config).toContain('"production_write": {"max_runtime_sec": 60,');
      await writeFile(data, config.replace('"production_write": {"max_runtime_sec": 60,', '"production_write": {"max_runtime_sec": 120,'));
      // The diff example's recorded traffic: the seeded 10,000-envelope corpus the diff tests use.
      await writeCorpusFile(join(scratch, "traffic.jsonl"), generateCorpus(10_000, 7));
      await run("node", [join(ROOT, "dist", "cli", "main.js"), "build", "policy/reference", "-o", "bundles/reference.tar.gz", "--revision", "reference"], { cwd: scratch });
    }, 180_000);
    afterAll(() => rm(scratch, { recursive: true, force: true }));

    const toolchainExample = (name: string) =>
      it(name, { timeout: 180_000 }, async () => {
        expectExample(name, await transcriptOf(name));
      });
    toolchainExample("build-clock");
    toolchainExample("build-yaml-typo");
    toolchainExample("build-type-errors");
    toolchainExample("scan");
    toolchainExample("eval-json");
    toolchainExample("test-reference");
    toolchainExample("test-broken");
    toolchainExample("diff");
  });
});
