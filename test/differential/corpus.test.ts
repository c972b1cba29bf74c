/**
 * The reference pack decides 10,000 generated envelopes the same on the
 * WASM engine (the gateway's) and on OPA's topdown (`opa test`'s): decision,
 * rules, matched, constraints and reason.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/core/envelope.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { compareEvaluators } from "../../src/testing/parity.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { type StagedPolicy, stagePolicy } from "../../src/toolchain/stage.js";
import { startTopdown, type TopdownEvaluator } from "../../src/toolchain/topdown.js";
import { generateCorpus } from "../fixtures/corpus.js";

const CORPUS_SIZE = 10_000;

/** Odd arguments on every 5th envelope: unicode, empty, long, negative and fractional numbers, addresses. */
const ODD: Record<string, unknown>[] = [
  { path: "", note: "héllo wörld 😀", n: -1 },
  { url: "http://169.254.169.254/latest/meta-data", n: 2147483648 },
  { query: "x".repeat(5000), ratio: 0.1 },
  { host: "::ffff:10.0.0.1", nested: { a: [1, "2", null, true] } },
  { cmd: "rm -rf /", "weird key ✓": "İß", n: -9007199254740991 },
];

function hostile(envelopes: Envelope[]): Envelope[] {
  return envelopes.map((e, i) => (i % 5 === 0 ? { ...e, call: { ...e.call, arguments: { ...e.call.arguments, ...ODD[(i / 5) % ODD.length] } } } : e));
}

describe("WASM engine vs OPA topdown on the reference pack", () => {
  let work: string;
  let staged: StagedPolicy;
  let topdown: TopdownEvaluator;
  let engine: WasmPolicyEngine;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mcpgov-corpus-parity-"));
    const built = await buildBundle({ policyDir: "policy/reference", output: join(work, "b.tar.gz") });
    engine = await WasmPolicyEngine.fromFile(built.output);
    staged = await stagePolicy("policy/reference");
    topdown = await startTopdown(staged.dir);
  }, 120_000);

  afterAll(async () => {
    await topdown?.close();
    await staged?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it(`agrees on all ${CORPUS_SIZE} envelopes`, async () => {
    const corpus = hostile(generateCorpus(CORPUS_SIZE, 7));
    const started = Date.now();
    const disagreements = await compareEvaluators(corpus, (e) => e, engine, topdown);
    const decisions = new Set(corpus.slice(0, 2000).map((e) => engine.decideValid(e).decision));
    console.info(`corpus parity: ${corpus.length} envelopes, ${disagreements.length} disagreements, ${Date.now() - started} ms; decisions seen: ${[...decisions].join(", ")}`);
    expect(disagreements.slice(0, 5).map((d) => ({ call: d.item.call.id, differences: d.differences, rules: d.rulesInDispute }))).toEqual([]);
    expect(decisions.size).toBeGreaterThan(2);
  }, 300_000);
});
