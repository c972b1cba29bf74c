/**
 * `mcpgov diff --parity`: recorded envelopes decided on the head bundle's
 * WASM and on OPA's topdown over the head policy; disagreements are a class
 * of their own in the report and exit 2.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiffReport } from "../../src/diff/diff.js";
import { buildEnvelope } from "../../src/core/envelope.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { generateCorpus, writeCorpusFile } from "../fixtures/corpus.js";
import { referencePolicy, tempDir } from "../helpers/bundles.js";
import { repoRoot, runCli } from "../helpers/cli.js";

const v2Policy = join(repoRoot, "test", "fixtures", "policy-v2");
const probePolicy = join(repoRoot, "test", "fixtures", "parity-policy");

let dir: string;
let corpusFile: string;
let refBundle: string;
let v2Bundle: string;

beforeAll(async () => {
  dir = await tempDir("mcpgov-diff-parity-");
  corpusFile = await writeCorpusFile(join(dir, "corpus.jsonl"), generateCorpus(1_000, 5));
  [refBundle, v2Bundle] = await Promise.all([
    buildBundle({ policyDir: referencePolicy, output: join(dir, "ref.tar.gz") }).then((b) => b.output),
    buildBundle({ policyDir: v2Policy, output: join(dir, "v2.tar.gz") }).then((b) => b.output),
  ]);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("mcpgov diff --parity", () => {
  it("checks every envelope of a bundle head against topdown on --head-policy", async () => {
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "--head-policy", v2Policy, "-e", corpusFile, "--parity", "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DiffReport;
    expect(report.parity).toEqual({ checked: 1_000, disagreements: 0, examples: [] });
    expect(report.changed).toBeGreaterThan(0);
  }, 120_000);

  it("needs the head policy's sources when --head is a bundle", async () => {
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", corpusFile, "--parity"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--head-policy");
  });

  it("reports a disagreement as its own class and exits 2", async () => {
    const envelope = (i: number, t: string) =>
      buildEnvelope({
        callId: `p-${i}`,
        server: "probe",
        tool: "probe",
        arguments: { s: "abc", t },
        argumentsDigest: `sha256:${"0".repeat(64)}`,
        action: "read",
        subject: { id: "u", roles: [], scopes: [] },
        time: "2026-04-01T00:00:00Z",
      } as never);
    // indexof(s, "") is 0 in WASM and undefined in OPA (README "Builtins").
    const file = await writeCorpusFile(join(dir, "probe.jsonl"), [envelope(1, "b"), envelope(2, ""), envelope(3, "c")]);
    const json = await runCli(["diff", "--base", probePolicy, "--head", probePolicy, "-e", file, "--parity", "--format", "json"]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("1 envelope(s) decided differently");
    const report = JSON.parse(json.stdout) as DiffReport;
    expect(report.unchanged).toBe(3);
    expect(report.parity).toMatchObject({ checked: 3, disagreements: 1, examples: [{ call_id: "p-2", line: 2, fields: ["reason"] }] });
    const pretty = await runCli(["diff", "--base", probePolicy, "--head", probePolicy, "-e", file, "--parity"]);
    expect(pretty.stdout).toContain("parity (head bundle's WASM vs OPA topdown on the head policy): 3 checked, 1 disagreed");
    expect(pretty.stdout).toMatch(/probe\.jsonl:2 p-2 probe\/probe: reason differ/);
  }, 120_000);
});
