/**
 * @module Decision latency: the in-process WASM engine against the same
 * decisions made in a policy worker thread (what the gateway does, under a
 * deadline), by an OPA server (`opa run --server`, REST API on loopback)
 * and by a trivial policy (a constant result) on the same engine.
 *
 * The machine is shared and noisy, so every subject is measured in blocks,
 * and the blocks of all subjects interleave (round 1: A B C …, round 2:
 * B C … A, …): a neighbour's burst hits every subject alike. Each block
 * gives a wall-clock p50 and p99 and this process's CPU time per decision;
 * the report is the median over the rounds with its min–max, and every
 * ratio is taken within a round before its median is.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { buildBundle } from "../../src/toolchain/build.js";
import { startOpa } from "../../src/toolchain/opa.js";
import { stagePolicy } from "../../src/toolchain/stage.js";
import { readBundle } from "../../src/bundle/bundle.js";
import { type Envelope, parseAnyEnvelope } from "../../src/core/envelope.js";
import { egressOfArguments } from "../../src/core/egress-of.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { WorkerPolicyEngine } from "../../src/engine/worker-engine.js";
import { jsonDigest } from "../../src/bundle/hash.js";
import { canonicalJson } from "../../src/core/canonical.js";
import { buildRawBundle } from "../helpers/bundles.js";
import { readBundleArchive, writeBundleArchive } from "../../src/bundle/archive.js";
import { bundleContentHash, parseJsonFile } from "../../src/bundle/hash.js";
import { INPUT_PATHS_KEY, withStamp } from "../../src/bundle/manifest.js";
import { fmt, fmtSpread, nowMicros, spread, summarise } from "./stats.js";

const REPEATS = Number(process.env["MCPGOV_BENCH_REPEATS"] ?? 5);
const IN_PROCESS_RUNS = 5_000;
const WORKER_RUNS = 2_000;
const SERVER_RUNS = 400;

/** The decision entrypoint returning a constant: what evaluation costs with no policy in it. */
const TRIVIAL_POLICY = `package mcpgov.decision

import rego.v1

result := {"decision": "ALLOW", "rules": ["trivial"], "reason": "trivial: always", "constraints": {}, "matched": [{"rule": "trivial", "decision": "ALLOW"}]}
`;

type ManifestJson = { metadata?: { mcpgov?: Record<string, unknown> } };

/** The input paths `mcpgov build` recorded in a bundle's manifest (undefined: none). */
async function inputPathsRecord(bundle: string): Promise<unknown> {
  const manifest = parseJsonFile(".manifest", (await readBundleArchive(bundle)).get(".manifest")!) as ManifestJson;
  return manifest.metadata?.mcpgov?.[INPUT_PATHS_KEY];
}

/** A copy of a bundle with its record of input paths replaced (undefined: removed), stamped again. */
async function withInputPaths(bundle: string, output: string, record: unknown): Promise<string> {
  const files = await readBundleArchive(bundle);
  const manifest = parseJsonFile(".manifest", files.get(".manifest")!) as ManifestJson & Record<string, unknown>;
  const ours: Record<string, unknown> = { ...(manifest.metadata?.mcpgov ?? {}) };
  if (record === undefined) delete ours[INPUT_PATHS_KEY];
  else ours[INPUT_PATHS_KEY] = record;
  files.set(".manifest", Buffer.from(JSON.stringify({ ...manifest, metadata: { ...manifest.metadata, mcpgov: ours } })));
  files.set(".manifest", Buffer.from(JSON.stringify(withStamp(parseJsonFile(".manifest", files.get(".manifest")!) as Record<string, unknown>, bundleContentHash(files)))));
  await writeBundleArchive(output, files);
  return output;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** An envelope of about 8 KB: a write whose arguments carry a document body. */
export function largeEnvelope(small: Record<string, unknown>): Record<string, unknown> {
  const paragraph = "The deploy key for the staging cluster rotates every ninety days; this ticket tracks the next rotation. ";
  const args = {
    owner: "acme",
    repo: "api",
    title: "Quarterly key rotation",
    body: paragraph.repeat(60),
    labels: Array.from({ length: 40 }, (_, i) => `label-${i}`),
    assignees: ["alice", "bob", "carol"],
  };
  const call = { ...(small["call"] as Record<string, unknown>), arguments: args, arguments_digest: jsonDigest(args) };
  return { ...small, call };
}

interface Case {
  name: string;
  raw: Record<string, unknown>;
  valid: Envelope;
}

/** One block of one subject: wall-clock percentiles and CPU time per decision, µs. */
interface Block {
  p50: number;
  p99: number;
  cpu: number;
}

interface Subject {
  key: string;
  runs: number;
  decide(c: Case): unknown;
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Times `runs` decisions one after another; awaits only what is a promise, so in-process subjects stay synchronous. */
async function measure(subject: Subject, c: Case, runs = subject.runs): Promise<Block> {
  const samples = new Array<number>(runs);
  const cpuStart = cpuMicros();
  for (let i = 0; i < runs; i++) {
    const start = nowMicros();
    const pending = subject.decide(c);
    if (pending instanceof Promise) await pending;
    samples[i] = nowMicros() - start;
  }
  const cpu = (cpuMicros() - cpuStart) / runs;
  const summary = summarise(samples);
  return { p50: summary.median, p99: summary.p99, cpu };
}

/** Decisions per second with `callers` concurrent callers, each awaiting its decision before asking again. */
async function workerThroughput(engine: WorkerPolicyEngine, envelope: Envelope, callers: number, perCaller: number): Promise<number> {
  const start = nowMicros();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = 0; i < perCaller; i++) await engine.decideValid(envelope);
    }),
  );
  return (callers * perCaller) / ((nowMicros() - start) / 1e6);
}

const valid = (envelope: unknown): Envelope => {
  const parsed = parseAnyEnvelope(envelope, egressOfArguments);
  if (!parsed.success) throw new Error(`bench envelope is invalid: ${parsed.error.message}`);
  return parsed.data;
};

function opaSubject(url: string): Subject {
  const bodies = new Map<string, string>();
  return {
    key: "opa",
    runs: SERVER_RUNS,
    decide: async (c) => {
      let body = bodies.get(c.name);
      if (body === undefined) bodies.set(c.name, (body = JSON.stringify({ input: c.raw })));
      const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
      return ((await response.json()) as { result?: unknown }).result;
    },
  };
}

async function waitForHealth(base: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("opa server did not become healthy");
}

const sameDecision = (a: unknown, b: unknown): boolean => {
  const pick = (d: unknown) => {
    const x = d as { decision: string; rules: string[]; constraints: unknown };
    return canonicalJson([x.decision, x.rules, x.constraints]);
  };
  return pick(a) === pick(b);
};

type Results = Map<string, Block[]>;
const at = (results: Results, key: string, c: Case): Block[] => results.get(`${key}/${c.name}`) ?? [];

/** Runs REPEATS rounds; each round measures every subject on every case, starting one subject later than the last round. */
async function interleave(subjects: Subject[], cases: Case[]): Promise<Results> {
  for (const s of subjects) for (const c of cases) await measure(s, c, Math.ceil(s.runs / 5));
  const results: Results = new Map();
  for (let round = 0; round < REPEATS; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]!);
    for (const c of cases) {
      for (const s of order) {
        const key = `${s.key}/${c.name}`;
        results.set(key, [...(results.get(key) ?? []), await measure(s, c)]);
      }
    }
  }
  return results;
}

/** Per-round ratios a / b of one statistic, as a median with its range. */
const ratio = (a: Block[], b: Block[], stat: keyof Block) => spread(a.map((x, i) => x[stat] / b[i]![stat]));

const goal = (met: boolean): string => (met ? "met" : "NOT MET");

export async function decisionBench(root: string, workDir: string): Promise<string[]> {
  const policyDir = join(root, "policy", "reference");
  const built = await buildBundle({ policyDir, output: join(workDir, "bench.tar.gz"), revision: "bench" });
  const engine = await WasmPolicyEngine.fromFile(built.output);
  // The same policy handed the whole envelope: the path before input projection.
  const whole = await WasmPolicyEngine.fromFile(await withInputPaths(built.output, join(workDir, "whole.tar.gz"), undefined));
  // The constant policy is handed the same parts of the envelope as the reference pack, so the ratio is the policy's own cost.
  const trivialRaw = await buildRawBundle(join(workDir, "trivial"), TRIVIAL_POLICY);
  const trivial = await WasmPolicyEngine.fromFile(await withInputPaths(trivialRaw, join(workDir, "trivial-projected.tar.gz"), await inputPathsRecord(built.output)));
  // A bundle built before a change (e.g. with the library of an older commit), measured beside this one.
  const baselinePath = process.env["MCPGOV_BENCH_BASELINE_BUNDLE"];
  const baseline = baselinePath ? await WasmPolicyEngine.fromFile(baselinePath) : undefined;
  const small = JSON.parse(await readFile(join(policyDir, "examples", "2-production-write.json"), "utf8")) as Record<string, unknown>;
  const cases: Case[] = [small, largeEnvelope(small)].map((raw, i) => ({ name: i === 0 ? "small" : "8KB", raw, valid: valid(raw) }));

  const staged = await stagePolicy(policyDir);
  const port = await freePort();
  const opa = await startOpa(["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "-b", "."], { cwd: staged.dir });
  const startedAt = nowMicros();
  const workers = await WorkerPolicyEngine.start(await readBundle(built.output), { timeoutMs: 5_000 });
  const startMs = (nowMicros() - startedAt) / 1000;
  const lines: string[] = [`load average at start ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores`];
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base);
    const server = opaSubject(`${base}/v1/data/mcpgov/decision/result`);
    const subjects: Subject[] = [
      { key: "valid", runs: IN_PROCESS_RUNS, decide: (c) => engine.decideValid(c.valid) },
      { key: "decide", runs: IN_PROCESS_RUNS, decide: (c) => engine.decide(c.raw) },
      { key: "whole", runs: IN_PROCESS_RUNS, decide: (c) => whole.decideValid(c.valid) },
      { key: "trivial", runs: IN_PROCESS_RUNS, decide: (c) => trivial.decideValid(c.valid) },
      ...(baseline ? [{ key: "baseline", runs: IN_PROCESS_RUNS, decide: (c: Case) => baseline.decideValid(c.valid) }] : []),
      { key: "worker", runs: WORKER_RUNS, decide: (c) => workers.decideValid(c.valid) },
      server,
    ];
    for (const c of cases) {
      const reference = engine.decideValid(c.valid);
      const others = [await server.decide(c), await workers.decideValid(c.valid), engine.decide(c.raw), whole.decideValid(c.valid), ...(baseline ? [baseline.decideValid(c.valid)] : [])];
      if (!others.every((d) => sameDecision(reference, d))) throw new Error(`bench: the subjects disagree on the ${c.name} envelope`);
    }
    const results = await interleave(subjects, cases);

    lines.push(
      `decision latency, µs: median over ${REPEATS} interleaved rounds (min–max); per round ${IN_PROCESS_RUNS} in-process, ${WORKER_RUNS} worker, ${SERVER_RUNS} OPA server decisions`,
      "valid: decideValid() in-process (an envelope the gateway built), WASM given only the input paths the policy reads; decide(): the same with envelope validation;",
      "whole: decideValid() given the whole envelope (before input projection); trivial: decideValid() on a constant policy, same engine, same input paths as valid;",
      `worker: decideValid() through the policy worker pool (the gateway's path); opa: opa run --server, REST on 127.0.0.1${baseline ? `; baseline: decideValid() on ${baselinePath}` : ""}`,
      "cpu: this process's CPU time per decision (user+system; for the worker it includes the worker thread, for opa only the client side)",
      "every subject gave the same decision on both envelopes",
    );
    const header = `subject  envelope | ${"p50".padEnd(24)} ${"p99".padEnd(24)} cpu`;
    lines.push(header);
    for (const s of subjects) {
      for (const c of cases) {
        const blocks = at(results, s.key, c);
        const cell = (stat: keyof Block) => fmtSpread(spread(blocks.map((b) => b[stat]))).padEnd(24);
        lines.push(`${s.key.padEnd(8)} ${c.name.padEnd(8)} | ${cell("p50")} ${cell("p99")} ${cell("cpu")}`);
      }
    }

    lines.push("ratios, per round then median (min–max):");
    const verdicts: string[] = [];
    for (const c of cases) {
      const v = at(results, "valid", c);
      const opaP50 = ratio(at(results, "opa", c), v, "p50");
      const opaP99 = ratio(at(results, "opa", c), v, "p99");
      const opaDecideP50 = ratio(at(results, "opa", c), at(results, "decide", c), "p50");
      const opaDecideP99 = ratio(at(results, "opa", c), at(results, "decide", c), "p99");
      const trivP50 = ratio(v, at(results, "trivial", c), "p50");
      const trivCpu = ratio(v, at(results, "trivial", c), "cpu");
      const workerP50 = ratio(at(results, "worker", c), v, "p50");
      const workerP99 = ratio(at(results, "worker", c), v, "p99");
      const w = at(results, "whole", c);
      lines.push(
        `  ${c.name}: opa/valid p50 ${fmtSpread(opaP50)}×, p99 ${fmtSpread(opaP99)}×; opa/decide() p50 ${fmtSpread(opaDecideP50)}×, p99 ${fmtSpread(opaDecideP99)}×`,
        `  ${c.name}: valid/trivial p50 ${fmtSpread(trivP50)}×, cpu ${fmtSpread(trivCpu)}×; worker/valid p50 ${fmtSpread(workerP50)}×, p99 ${fmtSpread(workerP99)}×`,
        `  ${c.name}: whole/valid (input projection's gain) p50 ${fmtSpread(ratio(w, v, "p50"))}×, p99 ${fmtSpread(ratio(w, v, "p99"))}×, cpu ${fmtSpread(ratio(w, v, "cpu"))}×`,
      );
      if (baseline) {
        const b = at(results, "baseline", c);
        lines.push(`  ${c.name}: baseline/valid p50 ${fmtSpread(ratio(b, v, "p50"))}×, p99 ${fmtSpread(ratio(b, v, "p99"))}×, cpu ${fmtSpread(ratio(b, v, "cpu"))}×`);
      }
      verdicts.push(
        `goal ≥ 50× OPA's REST API, ${c.name}: p50 ${fmt(opaP50.median)}× ${goal(opaP50.median >= 50)}, p99 ${fmt(opaP99.median)}× ${goal(opaP99.median >= 50)} (decideValid)`,
        `goal ≤ 3× a trivial policy, ${c.name}: p50 ${fmt(trivP50.median)}× ${goal(trivP50.median <= 3)}, cpu ${fmt(trivCpu.median)}× ${goal(trivCpu.median <= 3)}`,
      );
    }
    const smallP99 = spread(at(results, "valid", cases[0]!).map((b) => b.p99));
    const smallCpu = spread(at(results, "valid", cases[0]!).map((b) => b.cpu));
    lines.push(`goal p99 ≤ 20 µs, small envelope, decideValid: ${fmt(smallP99.median)} µs ${goal(smallP99.median <= 20)} (CPU per decision ${fmt(smallCpu.median)} µs)`, ...verdicts);

    const throughput = new Map<number, number[]>();
    const pools = await Promise.all([1, 2, 3].map((size) => readBundle(built.output).then((b) => WorkerPolicyEngine.start(b, { timeoutMs: 5_000, workers: size }))));
    try {
      for (const pool of pools) await workerThroughput(pool, cases[0]!.valid, 8, 200);
      for (let round = 0; round < REPEATS; round++) {
        for (const [i, pool] of pools.entries()) throughput.set(i + 1, [...(throughput.get(i + 1) ?? []), await workerThroughput(pool, cases[0]!.valid, 8, 500)]);
      }
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
    const rates = [...throughput].map(([size, r]) => `${size} worker${size > 1 ? "s" : ""} ${fmtSpread(spread(r), 0)}/s`);
    const inProcess = spread(at(results, "valid", cases[0]!).map((b) => 1e6 / b.cpu));
    lines.push(`throughput, small envelope, 8 concurrent callers: ${rates.join(", ")}; in-process decideValid (one thread, blocking, from CPU time) ${fmtSpread(inProcess, 0)}/s`);
    lines.push(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    lines.push(`policy workers: ${fmt(startMs)} ms to start the pool (2 workers, bundle loaded in each)`);
  } finally {
    await workers.close();
    opa.kill("SIGTERM");
    await staged.cleanup();
  }
  return lines;
}
