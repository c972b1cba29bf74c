/**
 * @module Output-scanning quality and cost: precision and recall per type on
 * the labelled corpus (test/fixtures/output-corpus), throughput on clean
 * text, the latency a 4 KB output adds, and how time grows from 1 MB to 4 MB
 * of hostile input (linear growth means a ratio near 4).
 *
 * The metric is sample-level and type-level: a predicted type is a true
 * positive when the sample is labelled with it. Findings below
 * ACTION_CONFIDENCE (low-confidence reports such as private IPs and Stripe
 * test keys) are not predictions.
 */
import { readFileSync } from "node:fs";
import { scanOutput } from "../../src/output/result-scan.js";
import { packageRoot } from "../../src/toolchain/opa.js";
import { type CorpusSample, corpusPath } from "../fixtures/output-corpus/generate.js";
import { loadRealClean } from "../fixtures/output-corpus/real-clean.js";
import { fmt, nowMicros, summarise } from "./stats.js";

export const ACTION_CONFIDENCE = 0.5;
const GOAL_PRECISION = 0.95;
const GOAL_RECALL = 0.95;
const GOAL_MB_PER_S = 100;
const GOAL_4KB_MICROS = 100;

export interface TypeScore {
  tp: number;
  fp: number;
  fn: number;
}

export interface CorpusScore {
  perType: Map<string, TypeScore>;
  overall: TypeScore;
  /** Samples with a false positive or negative, for tuning by hand. */
  misses: Array<{ id: string; predicted: string[]; labelled: string[] }>;
}

export function loadCorpus(root = packageRoot()): CorpusSample[] {
  return readFileSync(corpusPath(root), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CorpusSample);
}

export function predictedTypes(sample: CorpusSample): Set<string> {
  const { findings } = scanOutput(sample.result ?? sample.text ?? "");
  return new Set(findings.filter((f) => f.category !== "limit" && f.confidence >= ACTION_CONFIDENCE).map((f) => f.type));
}

export function scoreCorpus(samples: readonly CorpusSample[]): CorpusScore {
  const perType = new Map<string, TypeScore>();
  const overall: TypeScore = { tp: 0, fp: 0, fn: 0 };
  const misses: CorpusScore["misses"] = [];
  const bump = (type: string, field: keyof TypeScore) => {
    const score = perType.get(type) ?? { tp: 0, fp: 0, fn: 0 };
    score[field]++;
    overall[field]++;
    perType.set(type, score);
  };
  for (const sample of samples) {
    const predicted = predictedTypes(sample);
    const labelled = new Set(sample.labels.map((l) => l.type));
    for (const t of predicted) bump(t, labelled.has(t) ? "tp" : "fp");
    for (const t of labelled) if (!predicted.has(t)) bump(t, "fn");
    if ([...predicted].some((t) => !labelled.has(t)) || [...labelled].some((t) => !predicted.has(t))) {
      misses.push({ id: sample.id, predicted: [...predicted].sort(), labelled: [...labelled].sort() });
    }
  }
  return { perType, overall, misses };
}

const precision = (s: TypeScore): number => (s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp));
const recall = (s: TypeScore): number => (s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn));

/** Realistic clean output: the corpus's hard negatives, repeated to `bytes`. */
function cleanText(samples: readonly CorpusSample[], bytes: number): string {
  const pieces = samples.filter((s) => s.labels.length === 0).map((s) => s.text ?? JSON.stringify(s.result?.structuredContent ?? s.result));
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += `${pieces[i % pieces.length]}\n`;
  return out.slice(0, bytes);
}

function timeScan(input: unknown, repetitions: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = nowMicros();
    scanOutput(input);
    samples.push(nowMicros() - start);
  }
  return samples;
}

export async function scanBench(): Promise<string[]> {
  const samples = loadCorpus();
  const lines: string[] = [];
  const positives = samples.filter((s) => s.labels.length > 0).length;
  lines.push(`output scan — corpus ${samples.length} samples (${positives} labelled, ${samples.length - positives} hard negatives), predictions at confidence ≥ ${ACTION_CONFIDENCE}`);

  const score = scoreCorpus(samples);
  lines.push(`  ${"type".padEnd(20)} ${"tp".padStart(4)} ${"fp".padStart(4)} ${"fn".padStart(4)} ${"precision".padStart(10)} ${"recall".padStart(8)}`);
  for (const [type, s] of [...score.perType].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${type.padEnd(20)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(4)} ${String(s.fn).padStart(4)} ${fmt(precision(s), 3).padStart(10)} ${fmt(recall(s), 3).padStart(8)}`);
  }
  const o = score.overall;
  const ok = (value: number, goal: number) => (value >= goal ? "ok" : "BELOW GOAL");
  lines.push(`  ${"overall".padEnd(20)} ${String(o.tp).padStart(4)} ${String(o.fp).padStart(4)} ${String(o.fn).padStart(4)} ${fmt(precision(o), 3).padStart(10)} ${fmt(recall(o), 3).padStart(8)}   goal ≥ ${GOAL_PRECISION}/${GOAL_RECALL}: ${ok(precision(o), GOAL_PRECISION)}/${ok(recall(o), GOAL_RECALL)}`);
  if (process.env["MCPGOV_BENCH_VERBOSE"]) for (const m of score.misses) lines.push(`    miss ${m.id}: predicted [${m.predicted.join(", ")}] labelled [${m.labelled.join(", ")}]`);

  const mb = 4;
  const clean = cleanText(samples, mb * 1024 * 1024);
  timeScan(clean, 1);
  const cpuStart = process.cpuUsage();
  const cleanTimes = timeScan(clean, 5);
  const cpu = process.cpuUsage(cpuStart);
  const wallRate = mb / (summarise(cleanTimes).median / 1e6);
  const cpuRate = (mb * 5) / ((cpu.user + cpu.system) / 1e6);
  lines.push(`  clean text throughput (${mb} MB of hard negatives): ${fmt(wallRate)} MB/s wall, ${fmt(cpuRate)} MB/s cpu   goal ≥ ${GOAL_MB_PER_S}: ${ok(Math.max(wallRate, cpuRate), GOAL_MB_PER_S)}`);

  const real = loadRealClean(packageRoot());
  const realFalse = real.reduce((n, sample) => n + predictedTypes(sample).size, 0);
  const realText = real.map((sample) => sample.text ?? JSON.stringify(sample.result)).join("\n");
  timeScan(realText, 1);
  const realRate = realText.length / 1024 / 1024 / (summarise(timeScan(realText, 5)).median / 1e6);
  lines.push(`  real clean text (${real.length} files: package sources and .d.ts, logs, API responses; ${fmt(realText.length / 1024 / 1024)} MB): ${realFalse} false finding(s), ${fmt(realRate)} MB/s wall`);

  const small = cleanText(samples.slice(7), 4096);
  timeScan(small, 500);
  const smallSummary = summarise(timeScan(small, 5000));
  lines.push(`  added latency, 4 KB output: median ${fmt(smallSummary.median)} µs, p99 ${fmt(smallSummary.p99)} µs   goal ≤ ${GOAL_4KB_MICROS} µs median: ${smallSummary.median <= GOAL_4KB_MICROS ? "ok" : "ABOVE GOAL"}`);

  lines.push(`  hostile input, time for 1 MB → 4 MB (linear ≈ 4×):`);
  for (const [name, unit] of HOSTILE) {
    const t1 = summarise(timeScan(unit.repeat(Math.ceil((1 << 20) / unit.length)), 3)).median;
    const t4 = summarise(timeScan(unit.repeat(Math.ceil((4 << 20) / unit.length)), 3)).median;
    lines.push(`    ${name.padEnd(28)} ${fmt(t1 / 1000).padStart(8)} ms → ${fmt(t4 / 1000).padStart(8)} ms  ×${fmt(t4 / t1, 2)}`);
  }
  return lines;
}

/** Inputs built to make a backtracking scanner go quadratic or worse. */
export const HOSTILE: ReadonlyArray<[string, string]> = [
  ["a", "a"],
  ["AKIA", "AKIA"],
  ["@.", "@."],
  ["a@a.", "a@a."],
  ["digits", "1234567890"],
  ["digits and spaces", "1234 "],
  ["BEGIN without END", "-----BEGIN RSA PRIVATE KEY-----\nMIIE"],
  ["base64", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5K/=="],
  ["eyJ.", "eyJhbGciOi."],
  ["password=", "password="],
  ["scheme://u:", "a://u:"],
  ["hex and colons", "a:b:"],
  ["+1 (", "+1 ("],
  ["sk-", "sk-"],
  ["table separators", "-+-"],
  ["version-column tables", " build | n\n-------+---\n 5.3.4.76 | 1\n"],
];
