/**
 * A policy that calls every admitted builtin (test/fixtures/parity-policy)
 * decides generated envelopes alike on the WASM engine and OPA's topdown;
 * `mcpgov test` checks both evaluators and fails, naming the case, the
 * field and both results, when they differ.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEnvelope, type Envelope } from "../../src/core/envelope.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { githubAnnotationsReporter } from "../../src/report/test-annotations.js";
import { jsonReporter } from "../../src/report/test-json.js";
import { junitReporter } from "../../src/report/test-junit.js";
import { prettyReporter } from "../../src/report/test-pretty.js";
import { exitCodeOf } from "../../src/testing/results.js";
import { runPolicyTests } from "../../src/testing/runner.js";
import { compareEvaluators } from "../../src/testing/parity.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { type StagedPolicy, stagePolicy } from "../../src/toolchain/stage.js";
import { startTopdown, type TopdownEvaluator } from "../../src/toolchain/topdown.js";
import { seededRandom } from "../fixtures/corpus.js";
import { runCli } from "../helpers/cli.js";
import { expectExample } from "../helpers/readme.js";

const POLICY = "test/fixtures/parity-policy";
const CORPUS_SIZE = 3_000;

// No empty needle and no NUL in a pattern: the two documented deviations (README "Builtins").
const TEXTS = ["", "abc", "a,b,,c", "héllo wörld", "😀x", "rm -rf /", "  padded\t", "<a>&amp;", "ß", "İ", "10.0.0.1", "x".repeat(300), "-12", "3.5", "a"];
const NEEDLES = [",", "a", "b", "x", "l", "😀", "[a-c]+", "^a", "(", ".*", "-12", "3.5", " "];
// Products and sums stay within ±2^53: beyond it WASM computes in doubles and OPA exactly (README "Builtins").
const NUMBERS = [0, 1, -1, 2, 3, 2.5, -2.5, 10, 16, 1000, 65536, -70000, 0.1];
const ARRAYS = [[], [1, 2, 3], ["b", "a", "c"], ["a", 1, null], [3, 1, 2, 1], ["x"], [[1], [2]]];
const OBJECTS = [{}, { a: 1, b: { c: 2 } }, { b: 1, a: "a" }, { a: "abc", z: [true] }, { "": "x", c: null }];
const ANY = [null, true, false, "s", 1, 2.5, 2147483648, -9007199254740991, [], [1], {}, { a: 1 }];

function probeEnvelope(i: number, rand: () => number): Envelope {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const args = { s: pick(TEXTS), t: pick(NEEDLES), n: pick(NUMBERS), m: pick(NUMBERS), xs: pick(ARRAYS), ys: pick(ARRAYS), o: pick(OBJECTS), p: pick(OBJECTS), v: pick(ANY) };
  return buildEnvelope({ callId: `p-${i}`, server: "probe", tool: "probe", arguments: args, argumentsDigest: `sha256:${"0".repeat(64)}`, action: "read", subject: { id: "u", roles: [], scopes: [] }, time: "2026-04-01T00:00:00Z" } as never);
}

describe("the every-builtin policy on both evaluators", () => {
  let work: string;
  let staged: StagedPolicy;
  let topdown: TopdownEvaluator;
  let engine: WasmPolicyEngine;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mcpgov-parity-policy-"));
    const built = await buildBundle({ policyDir: POLICY, output: join(work, "b.tar.gz") });
    engine = await WasmPolicyEngine.fromFile(built.output);
    staged = await stagePolicy(POLICY);
    topdown = await startTopdown(staged.dir);
  }, 120_000);

  afterAll(async () => {
    await topdown?.close();
    await staged?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it(`agrees on ${CORPUS_SIZE} generated envelopes`, async () => {
    const rand = seededRandom(11);
    const corpus = Array.from({ length: CORPUS_SIZE }, (_, i) => probeEnvelope(i, rand));
    const started = Date.now();
    const disagreements = await compareEvaluators(corpus, (e) => e, engine, topdown);
    const decisions = corpus.slice(0, 200).map((e) => engine.decideValid(e));
    console.info(`parity-policy: ${corpus.length} envelopes, ${disagreements.length} disagreements, ${Date.now() - started} ms`);
    // The probe results that differ, from the two reasons.
    const apart = (a: string, b: string) => a.split("; ").filter((part) => !b.split("; ").includes(part));
    const shown = disagreements.slice(0, 5).map((d) => ({
      args: d.item.call.arguments,
      wasm: apart(d.wasm.reason, d.topdown.reason),
      opa: apart(d.topdown.reason, d.wasm.reason),
      fields: d.differences.map((x) => x.field),
    }));
    expect(shown).toEqual([]);
    // The probe decided (no fail-closed) and folded many builtins into its reason.
    expect(decisions.every((d) => d.fail_closed === undefined && d.rules.includes("parity-probe"))).toBe(true);
    expect(new Set(decisions.map((d) => d.decision))).toEqual(new Set(["ALLOW", "DENY"]));
    expect(decisions[0]!.reason.split("; ").length).toBeGreaterThan(60);
  }, 300_000);

  it("mcpgov test passes when both evaluators agree, and fails naming the case and both results when they do not", async () => {
    const agreeing = { ...probeEnvelope(1, seededRandom(3)) };
    agreeing.call = { ...agreeing.call, arguments: { s: "abc", t: "b" } };
    // indexof(s, "") is 0 in WASM and undefined in OPA: a planted disagreement.
    const planted = { ...agreeing, call: { ...agreeing.call, arguments: { s: "abc", t: "" } } };
    const file = join(work, "probe.cases.json");
    await writeFile(
      file,
      JSON.stringify({
        cases: [
          { name: "agreeing probe", envelope: agreeing, expect: { decision: "ALLOW", rules: ["parity-probe"] } },
          { name: "planted indexof disagreement", envelope: planted, expect: { decision: "ALLOW", rules: ["parity-probe"] } },
        ],
      }),
    );
    const run = await runPolicyTests({ policyDir: POLICY, casePaths: [file] });
    expect(run.parity).toEqual({ checked: true, disagreements: 1 });
    expect(exitCodeOf(run)).toBe(2);
    const [ok, bad] = run.cases;
    expect(ok!.status).toBe("pass");
    expect(bad!.status).toBe("fail");
    expect(bad!.mismatches.map((m) => m.field)).toEqual(["parity.reason"]);
    expect(String(bad!.mismatches[0]!.actual)).toContain("indexof=number0i");
    expect(String(bad!.mismatches[0]!.expected)).not.toContain("indexof=");
    let out = "";
    prettyReporter((text) => (out += `${text}\n`)).report(run);
    expect(out).toContain("planted indexof disagreement");
    expect(out).toContain("parity.reason (OPA topdown and the WASM bundle disagree)");
    expect(out).toContain("PARITY: 1 case(s)");
    expectExample("test-parity", out.replaceAll(`${work}/`, "").replace(/^.*\bprobe\.cases\.json:$/m, "probe.cases.json:"));
    let json = "";
    jsonReporter((text) => (json += text)).report(run);
    const document = JSON.parse(json) as { parity: unknown; cases: { mismatches: { parity?: boolean }[]; parity?: { agree: boolean } }[] };
    expect(document.parity).toEqual({ checked: true, disagreements: 1 });
    expect(document.cases[1]!.mismatches[0]!.parity).toBe(true);
    expect(document.cases[1]!.parity!.agree).toBe(false);
    let junit = "";
    junitReporter((text) => (junit += text)).report(run);
    expect(junit).toContain('type="parity"');
    let annotations = "";
    githubAnnotationsReporter((text) => (annotations += text)).report(run);
    expect(annotations).toContain("parity.reason: OPA topdown");

    const cli = await runCli(["test", POLICY, file, "--format", "json"]);
    expect(cli.code).toBe(2);
    const cliOff = await runCli(["test", POLICY, file, "--no-parity", "--format", "json"]);
    expect(cliOff.code).toBe(0);
    expect(JSON.parse(cliOff.stdout).parity).toEqual({ checked: false, disagreements: 0 });

    const off = await runPolicyTests({ policyDir: POLICY, casePaths: [file], parity: false });
    expect(off.parity).toEqual({ checked: false, disagreements: 0 });
    expect(exitCodeOf(off)).toBe(0);
  }, 180_000);
});
