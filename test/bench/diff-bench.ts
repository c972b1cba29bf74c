/**
 * @module Diff throughput: envelopes per second through `mcpgov diff`'s
 * pipeline (stream a JSONL corpus from disk, decide each envelope under two
 * bundles, aggregate), in-process and on worker threads, measured
 * interleaved (A, B, A, B …) so both see the same load on a shared machine;
 * then a breakdown of where the time of one decision goes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyResultSchema } from "../../src/core/decision.js";
import { EnvelopeSchema } from "../../src/core/envelope.js";
import { readVerifiedBundle } from "../../src/bundle/bundle.js";
import { DiffAccumulator } from "../../src/diff/diff.js";
import { streamEnvelopes } from "../../src/diff/envelope-stream.js";
import { lineEnvelope } from "../../src/diff/line-envelope.js";
import { defaultDiffWorkers, runDiffInWorkers } from "../../src/diff/parallel-diff.js";
import { runDiff } from "../../src/diff/run-diff.js";
import { DECISION_ENTRYPOINT } from "../../src/engine/policy-engine.js";
import { loadWasmPolicy, WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { formatDiffJson } from "../../src/report/diff-json.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { packageRoot } from "../../src/toolchain/opa.js";
import { generateCorpus, writeCorpusFile } from "../fixtures/corpus.js";
import { fmt, nowMicros } from "./stats.js";

/** `MCPGOV_BENCH_DIFF_ENVELOPES=100000 npm run bench -- diff` measures a larger corpus (workers pay their start once per run). */
const CORPUS_SIZE = Number(process.env.MCPGOV_BENCH_DIFF_ENVELOPES) || 20_000;
/** At least 3 rounds: a median and a spread need them. */
const REPETITIONS = Math.max(3, Number(process.env.MCPGOV_BENCH_DIFF_ROUNDS) || 5);
const BREAKDOWN_REPETITIONS = 3;
const GOAL_PER_BUNDLE = 50_000;

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

interface Rate {
  /** Items per wall-clock second. */
  wall: Spread;
  /** Items per second of this process's CPU time, every thread counted: what one idle core would do. */
  cpu: Spread;
}

/** One timed pass: items per wall second and per CPU second (process.cpuUsage counts worker threads too). */
async function timed(count: number, body: () => unknown): Promise<{ wall: number; cpu: number }> {
  const start = nowMicros();
  const startCpu = process.cpuUsage();
  await body();
  const used = process.cpuUsage(startCpu);
  return { wall: count / ((nowMicros() - start) / 1e6), cpu: count / ((used.user + used.system) / 1e6) };
}

/**
 * Runs each body once to warm up, then `repetitions` rounds in which every
 * body runs once, in turn: a burst of load on the shared machine hits
 * every variant of a round, not one variant's whole series.
 */
async function interleaved(count: number, bodies: Array<() => unknown>, repetitions: number): Promise<Rate[]> {
  for (const body of bodies) await body();
  const samples = bodies.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < repetitions; r++) {
    for (const [i, body] of bodies.entries()) {
      const one = await timed(count, body);
      samples[i]!.wall.push(one.wall);
      samples[i]!.cpu.push(one.cpu);
    }
  }
  return samples.map((s) => ({ wall: spread(s.wall), cpu: spread(s.cpu) }));
}

const perSec = (n: number): string => `${Math.round(n).toLocaleString("en-US")}/s`;
const range = (s: Spread): string => `${perSec(s.median).padStart(10)} (${Math.round(s.min).toLocaleString("en-US")}–${perSec(s.max)})`.padEnd(30);
const row = (label: string, r: Rate): string => `  ${label.padEnd(50)} ${range(r.wall)} ${range(r.cpu)} ${fmt(1e6 / r.cpu.median, 2).padStart(7)} µs`;
const met = (rate: number): string => (rate >= GOAL_PER_BUNDLE ? "met" : "NOT met");

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
    const bundles = { base: await readVerifiedBundle(base.output), head: await readVerifiedBundle(head.output) };
    const engines = { base: await WasmPolicyEngine.fromBundle(bundles.base), head: await WasmPolicyEngine.fromBundle(bundles.head) };
    const side = (engine: WasmPolicyEngine, source: string) => ({ ...engine.bundle, source, built: false });
    const sides = { base: side(engines.base, base.output), head: side(engines.head, head.output) };
    const workers = defaultDiffWorkers();
    const gate = { patterns: [], hits: [] };

    const reports: string[][] = [[], [], []];
    // Before: the loop runDiff had until this change (each bundle serialises the envelope and checks every result).
    const before = async () => {
      const accumulator = new DiffAccumulator({ examples: 3 });
      for await (const item of streamEnvelopes(file)) {
        if (item.kind === "invalid") throw new Error("bad corpus");
        const parsed = lineEnvelope(item.value);
        if ("message" in parsed) throw new Error("bad corpus");
        const headDecision = engines.head.decideValid(parsed.envelope);
        accumulator.add(engines.base.decideValid(parsed.envelope), headDecision, item.value, item);
      }
      reports[2]!.push(formatDiffJson(accumulator.report(sides.base, sides.head), gate));
    };
    const inProcess = async () => {
      const report = await runDiff({ base: { engine: engines.base, side: sides.base }, head: { engine: engines.head, side: sides.head }, envelopes: streamEnvelopes(file), examples: 3, skipInvalid: false });
      reports[0]!.push(formatDiffJson(report, gate));
    };
    const parallel = async () => {
      const report = await runDiffInWorkers({ base: { bundle: bundles.base, side: sides.base }, head: { bundle: bundles.head, side: sides.head }, envelopes: file, examples: 3, skipInvalid: false, workers });
      reports[1]!.push(formatDiffJson(report, gate));
    };
    const [was, a, b] = await interleaved(CORPUS_SIZE, [before, inProcess, parallel], REPETITIONS);
    // A bench that measured a different answer would measure nothing: every report must be the one of before.
    const same = reports.flat().every((r) => r === reports[2]![0]);

    // The parts of the in-process path, timed apart (interleaved as well).
    const stream = async () => {
      for await (const line of streamEnvelopes(file)) if (line.kind !== "envelope") throw new Error("bad corpus");
    };
    const { policy, entrypointId } = await loadWasmPolicy(bundles.base, DECISION_ENTRYPOINT);
    const results = corpus.map((e) => (policy.evaluate(e, entrypointId) as { result: unknown }[])[0]!.result);
    const jsons = corpus.map((e) => JSON.stringify(e));
    const [readLines, decideBase, decideHead, validate, checkResult, evaluateJson] = await interleaved(
      CORPUS_SIZE,
      [
        stream,
        () => corpus.forEach((e) => engines.base.decide(e)),
        () => corpus.forEach((e) => engines.head.decide(e)),
        () => corpus.forEach((e) => EnvelopeSchema.safeParse(e)),
        () => results.forEach((r) => PolicyResultSchema.safeParse(r)),
        () => jsons.forEach((j) => engines.base.decideValidJson(j)),
      ],
      BREAKDOWN_REPETITIONS,
    );

    const perBundle = (r: Rate) => 2 * r.wall.median;
    return [
      `diff throughput: ${CORPUS_SIZE.toLocaleString("en-US")} generated envelopes streamed from JSONL, every envelope decided under both bundles;`,
      `  before = the previous in-process loop, A = in-process runDiff, B = ${workers} worker thread(s) (runDiffInWorkers, started per run);`,
      `  ${REPETITIONS} interleaved rounds (before, A, B, before, A, B …) after one warm-up each; median (min–max). CPU counts every thread of the process.`,
      `  ${"".padEnd(50)} ${"wall".padEnd(30)} ${"CPU".padEnd(30)} CPU/item`,
      row("before: in-process, two serialisations", was!),
      row("A in-process: envelopes through both bundles", a!),
      row(`B ${workers} workers: envelopes through both bundles`, b!),
      `  A/before: wall ${fmt(a!.wall.median / was!.wall.median, 2)}×, CPU ${fmt(a!.cpu.median / was!.cpu.median, 2)}×; B/A: wall ${fmt(b!.wall.median / a!.wall.median, 2)}×, CPU ${fmt(b!.cpu.median / a!.cpu.median, 2)}× (medians); reports byte-identical: ${same ? "yes" : "NO"}`,
      `  "per bundle": each envelope is decided under both bundles, so per-bundle throughput = 2 × envelopes/s through the diff`,
      `  goal ≥ ${GOAL_PER_BUNDLE.toLocaleString("en-US")}/s per bundle (wall): before ${perSec(perBundle(was!))} ${met(perBundle(was!))}, A ${perSec(perBundle(a!))} ${met(perBundle(a!))}, B ${perSec(perBundle(b!))} ${met(perBundle(b!))}`,
      `  same goal per CPU-second (what one idle core would do): before ${met(2 * was!.cpu.median)}, A ${met(2 * a!.cpu.median)}, B ${met(2 * b!.cpu.median)}; stricter reading (≥ ${GOAL_PER_BUNDLE.toLocaleString("en-US")} envelopes/s through the diff, wall): before ${met(was!.wall.median)}, A ${met(a!.wall.median)}, B ${met(b!.wall.median)}`,
      `  where one envelope's time goes (in-process, ${BREAKDOWN_REPETITIONS} interleaved rounds):`,
      row("  read line + JSON.parse (readline stream)", readLines!),
      row("  decide(), base bundle", decideBase!),
      row("  decide(), head bundle", decideHead!),
      row("  EnvelopeSchema.safeParse (zod)", validate!),
      row("  PolicyResultSchema.safeParse (zod)", checkResult!),
      row("  decideValidJson, base (opa_eval, result parse+check)", evaluateJson!),
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
