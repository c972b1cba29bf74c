/**
 * @module Diff throughput: envelopes per second through `mcpgov diff`'s
 * pipeline (stream a JSONL corpus from disk, decide each envelope under two
 * bundles, aggregate), with a breakdown of where the time of one decision goes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyResultSchema } from "../../src/core/decision.js";
import { EnvelopeSchema } from "../../src/core/envelope.js";
import { readVerifiedBundle } from "../../src/bundle/bundle.js";
import { streamEnvelopes } from "../../src/diff/envelope-stream.js";
import { runDiff } from "../../src/diff/run-diff.js";
import { DECISION_ENTRYPOINT } from "../../src/engine/policy-engine.js";
import { loadWasmPolicy, WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { packageRoot } from "../../src/toolchain/opa.js";
import { generateCorpus, writeCorpusFile } from "../fixtures/corpus.js";
import { fmt, nowMicros } from "./stats.js";

const CORPUS_SIZE = 20_000;
const REPETITIONS = 5;
const GOAL_PER_BUNDLE = 50_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Rate {
  /** Items per wall-clock second. */
  wall: number;
  /** Items per second of this process's CPU time: what the rate would be on an idle core. */
  cpu: number;
}

/**
 * Runs `body` (one pass over `count` items) once to warm up, then
 * REPETITIONS times; medians of items per second. CPU time is reported
 * beside wall time because a shared two-core machine steals wall time.
 */
async function rate(count: number, body: () => unknown): Promise<Rate> {
  await body();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const start = nowMicros();
    const startCpu = process.cpuUsage();
    await body();
    const used = process.cpuUsage(startCpu);
    wall.push(count / ((nowMicros() - start) / 1e6));
    cpu.push(count / ((used.user + used.system) / 1e6));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const perSec = (n: number): string => `${Math.round(n).toLocaleString("en-US")}/s`.padStart(10);
const row = (label: string, r: Rate, note = ""): string =>
  `  ${label.padEnd(58)} ${perSec(r.wall)} ${perSec(r.cpu)} ${fmt(1e6 / r.cpu, 2).padStart(8)} µs${note ? `  ${note}` : ""}`;

export async function diffBench(): Promise<string[]> {
  const root = packageRoot();
  const work = await mkdtemp(join(tmpdir(), "mcpgov-diff-bench-"));
  try {
    const [base, head] = await Promise.all([
      buildBundle({ policyDir: join(root, "policy", "reference"), output: join(work, "base.tar.gz"), revision: "reference" }),
      buildBundle({ policyDir: join(root, "test", "fixtures", "policy-v2"), output: join(work, "head.tar.gz"), revision: "v2" }),
    ]);
    const corpus = generateCorpus(CORPUS_SIZE, 42);
    const file = await writeCorpusFile(join(work, "corpus.jsonl"), corpus);
    const engines = { base: await WasmPolicyEngine.fromFile(base.output), head: await WasmPolicyEngine.fromFile(head.output) };
    const sides = {
      base: { engine: engines.base, side: { ...engines.base.bundle, source: base.output, built: false } },
      head: { engine: engines.head, side: { ...engines.head.bundle, source: head.output, built: false } },
    };

    const stream = await rate(CORPUS_SIZE, async () => {
      for await (const line of streamEnvelopes(file)) if (line.kind !== "envelope") throw new Error("bad corpus");
    });
    const decideBase = await rate(CORPUS_SIZE, () => corpus.forEach((e) => engines.base.decide(e)));
    const decideHead = await rate(CORPUS_SIZE, () => corpus.forEach((e) => engines.head.decide(e)));

    // The parts of one decide(), timed apart on the base bundle.
    const { policy, entrypointId } = await loadWasmPolicy(await readVerifiedBundle(base.output), DECISION_ENTRYPOINT);
    const results = corpus.map((e) => (policy.evaluate(e, entrypointId) as { result: unknown }[])[0]!.result);
    const validate = await rate(CORPUS_SIZE, () => corpus.forEach((e) => EnvelopeSchema.safeParse(e)));
    const evaluate = await rate(CORPUS_SIZE, () => corpus.forEach((e) => policy.evaluate(e, entrypointId)));
    const checkResult = await rate(CORPUS_SIZE, () => results.forEach((r) => PolicyResultSchema.safeParse(r)));
    const restMicros = 1e6 / decideBase.cpu - 1e6 / validate.cpu - 1e6 / checkResult.cpu;
    const restWall = 1e6 / decideBase.wall - 1e6 / validate.wall - 1e6 / checkResult.wall;
    const rest = { wall: 1e6 / restWall, cpu: 1e6 / restMicros };
    // Last, so that it runs on WASM code V8 has already tiered up, as a long diff does.
    const diff = await rate(CORPUS_SIZE, () => runDiff({ ...sides, envelopes: streamEnvelopes(file), examples: 3, skipInvalid: false }));

    // Both bundles see every envelope, so each decides as many envelopes per second as the diff reads.
    const met = (r: number) => (r >= GOAL_PER_BUNDLE ? "met" : "NOT met");
    return [
      `diff throughput: ${CORPUS_SIZE.toLocaleString("en-US")} generated envelopes streamed from JSONL, median of ${REPETITIONS} runs`,
      `  ${"".padEnd(58)} ${"wall".padStart(10)} ${"CPU".padStart(10)} ${"CPU/item".padStart(11)}`,
      row("mcpgov diff pipeline: envelopes through both bundles", diff, `goal ≥ ${GOAL_PER_BUNDLE.toLocaleString("en-US")}/s per bundle: ${met(diff.wall)} (wall), ${met(diff.cpu)} (CPU)`),
      `  where one envelope's time goes:`,
      row("  read line + JSON.parse (readline stream)", stream),
      row("  decide(), base bundle", decideBase),
      row("  decide(), head bundle", decideHead),
      `  inside one decide() (base bundle):`,
      row("  EnvelopeSchema.safeParse (zod)", validate),
      row("  PolicyResultSchema.safeParse (zod)", checkResult),
      row("  the rest: JSON.stringify, opa_eval, result JSON.parse", rest),
      row("  for comparison: the SDK's policy.evaluate", evaluate),
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
