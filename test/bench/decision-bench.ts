/**
 * @module Decision latency: the in-process WASM engine against the same
 * decisions made in a policy worker thread (what the gateway does, under a
 * deadline) and by an OPA server (`opa run --server`, REST API on loopback).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
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
import { fmt, nowMicros, summarise, type Summary } from "./stats.js";

const IN_PROCESS_RUNS = 20_000;
const SERVER_RUNS = 2_000;
const WORKER_RUNS = 10_000;

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

function timeInProcess(engine: WasmPolicyEngine, envelope: unknown): Summary {
  for (let i = 0; i < 2_000; i++) engine.decide(envelope);
  const samples = new Array<number>(IN_PROCESS_RUNS);
  for (let i = 0; i < IN_PROCESS_RUNS; i++) {
    const start = nowMicros();
    engine.decide(envelope);
    samples[i] = nowMicros() - start;
  }
  return summarise(samples);
}

/** In-process on an envelope already validated: what the gateway's decide stage did before the workers. */
function timeInProcessValid(engine: WasmPolicyEngine, envelope: Envelope): Summary {
  for (let i = 0; i < 2_000; i++) engine.decideValid(envelope);
  const samples = new Array<number>(IN_PROCESS_RUNS);
  for (let i = 0; i < IN_PROCESS_RUNS; i++) {
    const start = nowMicros();
    engine.decideValid(envelope);
    samples[i] = nowMicros() - start;
  }
  return summarise(samples);
}

/** One decision at a time through the worker pool: postMessage, evaluate, reply (what one call waits for). */
async function timeWorker(engine: WorkerPolicyEngine, envelope: Envelope): Promise<Summary> {
  for (let i = 0; i < 1_000; i++) await engine.decideValid(envelope);
  const samples = new Array<number>(WORKER_RUNS);
  for (let i = 0; i < WORKER_RUNS; i++) {
    const start = nowMicros();
    await engine.decideValid(envelope);
    samples[i] = nowMicros() - start;
  }
  return summarise(samples);
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

async function timeServer(url: string, envelope: unknown): Promise<{ summary: Summary; result: unknown }> {
  const body = JSON.stringify({ input: envelope });
  const ask = async () => {
    const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
    return ((await response.json()) as { result?: unknown }).result;
  };
  for (let i = 0; i < 200; i++) await ask();
  const samples: number[] = [];
  let result: unknown;
  for (let i = 0; i < SERVER_RUNS; i++) {
    const start = nowMicros();
    result = await ask();
    samples.push(nowMicros() - start);
  }
  return { summary: summarise(samples), result };
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

export async function decisionBench(root: string, workDir: string): Promise<string[]> {
  const policyDir = join(root, "policy", "reference");
  const built = await buildBundle({ policyDir, output: join(workDir, "bench.tar.gz"), revision: "bench" });
  const engine = await WasmPolicyEngine.fromFile(built.output);
  const small = JSON.parse(await readFile(join(policyDir, "examples", "2-production-write.json"), "utf8")) as Record<string, unknown>;
  const large = largeEnvelope(small);
  const cases = [
    { name: "small", envelope: small, bytes: JSON.stringify(small).length },
    { name: "8KB", envelope: large, bytes: JSON.stringify(large).length },
  ];

  const staged = await stagePolicy(policyDir);
  const port = await freePort();
  const opa = await startOpa(["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "-b", "."], { cwd: staged.dir });
  const lines = [
    "decision latency (µs): in-process WASM vs policy worker round trip (the gateway's path) vs OPA server REST round trip on 127.0.0.1",
    "wasm: decide() with envelope validation; valid: decideValid() in-process (the gateway before workers); worker: decideValid() in a policy worker (the gateway now)",
    "envelope  bytes | wasm p50  wasm p99 | valid p50  valid p99 | worker p50  worker p99 | opa p50  opa p99 | ratio p50  ratio p99 | same decision",
  ];
  const startedAt = nowMicros();
  const workers = await WorkerPolicyEngine.start(await readBundle(built.output), { timeoutMs: 5_000 });
  const startMs = (nowMicros() - startedAt) / 1000;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base);
    for (const c of cases) {
      const wasm = timeInProcess(engine, c.envelope);
      const server = await timeServer(`${base}/v1/data/mcpgov/decision/result`, c.envelope);
      const inProcessValid = timeInProcessValid(engine, valid(c.envelope));
      const worker = await timeWorker(workers, valid(c.envelope));
      const same = sameDecision(engine.decide(c.envelope), server.result) && sameDecision(engine.decide(c.envelope), await workers.decideValid(valid(c.envelope)));
      lines.push(
        `${c.name.padEnd(8)} ${String(c.bytes).padStart(6)} | ${fmt(wasm.median).padStart(8)} ${fmt(wasm.p99).padStart(9)} | ` +
          `${fmt(inProcessValid.median).padStart(9)} ${fmt(inProcessValid.p99).padStart(10)} | ` +
          `${fmt(worker.median).padStart(10)} ${fmt(worker.p99).padStart(11)} | ` +
          `${fmt(server.summary.median).padStart(7)} ${fmt(server.summary.p99).padStart(8)} | ` +
          `${fmt(server.summary.median / wasm.median).padStart(8)}× ${fmt(server.summary.p99 / wasm.p99).padStart(9)}× | ${same ? "yes" : "NO"}`,
      );
    }
    lines.push(`goal: wasm p99 ≤ 50 µs; OPA server round trip ≥ 20× slower (runs: ${IN_PROCESS_RUNS} in-process, ${WORKER_RUNS} worker, ${SERVER_RUNS} server)`);
    const throughput: string[] = [];
    for (const size of [1, 2, 3]) {
      const pool = await WorkerPolicyEngine.start(await readBundle(built.output), { timeoutMs: 5_000, workers: size });
      try {
        await workerThroughput(pool, valid(small), 8, 200);
        throughput.push(`${size} worker${size > 1 ? "s" : ""} ${fmt(await workerThroughput(pool, valid(small), 8, 2_000), 0)}/s`);
      } finally {
        await pool.close();
      }
    }
    const inProcessRate = 1e6 / timeInProcessValid(engine, valid(small)).mean;
    lines.push(`throughput, small envelope, 8 concurrent callers: ${throughput.join(", ")}; in-process decideValid (one thread, blocking) ${fmt(inProcessRate, 0)}/s`);
    lines.push(`policy workers: ${fmt(startMs)} ms to start the pool (2 workers, bundle loaded in each); ratios are opa / wasm`);
  } finally {
    await workers.close();
    opa.kill("SIGTERM");
    await staged.cleanup();
  }
  return lines;
}
