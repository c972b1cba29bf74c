/**
 * @module Output-scanning quality and cost: precision and recall per type on
 * the labelled corpus (test/fixtures/output-corpus), throughput on clean
 * text, the latency a 4 KB output adds, and how time grows from 1 MB to 4 MB
 * of hostile input (linear growth means a ratio near 4).
 *
 * Throughput and latency compare the reference scan (every pattern searched
 * over the whole text, test/fixtures/reference-scan-rules.ts) with the
 * current one in the same run, interleaved (reference, current, reference,
 * current…) so that load from other processes falls on both; each prints
 * its median over the repeats with the spread (min–max), in CPU time
 * (process.cpuUsage) and wall time. Goals are judged on the current scan's
 * median CPU rate.
 *
 * The metric is sample-level and type-level: a predicted type is a true
 * positive when the sample is labelled with it. Findings below
 * ACTION_CONFIDENCE (low-confidence reports such as private IPs and Stripe
 * test keys) are not predictions.
 */
import { readFileSync } from "node:fs";
import { BUILTIN_RULES } from "../../src/output/builtin-rules.js";
import { scanOutput } from "../../src/output/result-scan.js";
import type { ScanRule } from "../../src/output/scan-rule.js";
import { packageRoot } from "../../src/toolchain/opa.js";
import { type CorpusSample, corpusPath } from "../fixtures/output-corpus/generate.js";
import { loadRealClean } from "../fixtures/output-corpus/real-clean.js";
import { REFERENCE_RULES } from "../fixtures/reference-scan-rules.js";
import { fmt, nowMicros, type Summary, summarise } from "./stats.js";

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

export function predictedTypes(sample: CorpusSample, rules: readonly ScanRule[] = BUILTIN_RULES): Set<string> {
  const { findings } = scanOutput(sample.result ?? sample.text ?? "", { rules });
  return new Set(findings.filter((f) => f.category !== "limit" && f.confidence >= ACTION_CONFIDENCE).map((f) => f.type));
}

export function scoreCorpus(samples: readonly CorpusSample[], rules: readonly ScanRule[] = BUILTIN_RULES): CorpusScore {
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
    const predicted = predictedTypes(sample, rules);
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

function timeScan(input: unknown, repetitions: number, rules: readonly ScanRule[] = BUILTIN_RULES): number[] {
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = nowMicros();
    scanOutput(input, { rules });
    samples.push(nowMicros() - start);
  }
  return samples;
}

interface Variant {
  name: string;
  rules: readonly ScanRule[];
}

const VARIANTS: readonly Variant[] = [
  { name: "reference", rules: REFERENCE_RULES },
  { name: "current", rules: BUILTIN_RULES },
];

/** Per variant: microseconds of wall and of CPU time per scan, one entry per round; and every scan's wall time. */
interface Timings {
  wall: number[];
  cpu: number[];
  singles: number[];
}

/**
 * Scans `input` `batch` times with each variant in turn, `rounds` times
 * (the order alternates each round, so neither always runs first), and
 * returns each variant's per-round time per scan.
 */
function interleaved(input: unknown, rounds: number, batch: number): Timings[] {
  const timings: Timings[] = VARIANTS.map(() => ({ wall: [], cpu: [], singles: [] }));
  for (const v of VARIANTS) timeScan(input, 1, v.rules); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? VARIANTS.map((_, i) => i) : VARIANTS.map((_, i) => VARIANTS.length - 1 - i);
    for (const i of order) {
      const cpuStart = process.cpuUsage();
      const wallStart = nowMicros();
      for (let b = 0; b < batch; b++) {
        const start = nowMicros();
        scanOutput(input, { rules: VARIANTS[i]!.rules });
        timings[i]!.singles.push(nowMicros() - start);
      }
      const wall = nowMicros() - wallStart;
      const cpu = process.cpuUsage(cpuStart);
      timings[i]!.wall.push(wall / batch);
      timings[i]!.cpu.push((cpu.user + cpu.system) / batch);
    }
  }
  return timings;
}

/** "median (min–max)" of a rate derived from per-scan microseconds: higher is better, so min time is max rate. */
function rateSpread(micros: readonly number[], mb: number): { median: number; text: string } {
  const s: Summary = summarise(micros);
  const rate = (us: number) => mb / (us / 1e6);
  return { median: rate(s.median), text: `${fmt(rate(s.median))} (${fmt(rate(s.max))}–${fmt(rate(s.min))})` };
}

function timeSpread(micros: readonly number[]): string {
  const s = summarise(micros);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

/** Lines comparing the variants' throughput on `input` of `mb` MB; returns the current scan's median CPU rate. */
function throughputLines(label: string, input: unknown, mb: number, rounds: number, lines: string[]): number {
  const timings = interleaved(input, rounds, 1);
  lines.push(`  ${label}: MB/s, median (min–max) of ${rounds} interleaved repeats`);
  let current = 0;
  VARIANTS.forEach((v, i) => {
    const cpu = rateSpread(timings[i]!.cpu, mb);
    const wall = rateSpread(timings[i]!.wall, mb);
    lines.push(`    ${v.name.padEnd(10)} cpu ${cpu.text.padEnd(24)} wall ${wall.text}`);
    if (v.rules === BUILTIN_RULES) current = cpu.median;
  });
  const ratios = timings[0]!.cpu.map((ref, r) => ref / timings[1]!.cpu[r]!);
  const ratio = summarise(ratios);
  lines.push(`    current vs reference, cpu time per round: ×${fmt(ratio.median, 2)} faster (×${fmt(ratio.min, 2)}–×${fmt(ratio.max, 2)})`);
  return current;
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

  const referenceScore = scoreCorpus(samples, REFERENCE_RULES);
  const sameScore = JSON.stringify([...referenceScore.perType].sort()) === JSON.stringify([...score.perType].sort());
  lines.push(`  per-type tp/fp/fn identical to the reference scan's: ${sameScore ? "yes" : "NO"}`);

  const mb = 4;
  const clean = cleanText(samples, mb * 1024 * 1024);
  const cleanRate = throughputLines(`clean text throughput (${mb} MB of hard negatives)`, clean, mb, 15, lines);
  lines.push(`    goal ≥ ${GOAL_MB_PER_S} MB/s cpu (current, median): ${cleanRate >= GOAL_MB_PER_S ? "met" : "NOT MET"}`);

  const real = loadRealClean(packageRoot());
  const realFalse = real.reduce((n, sample) => n + predictedTypes(sample).size, 0);
  const realText = real.map((sample) => sample.text ?? JSON.stringify(sample.result)).join("\n");
  const realMb = realText.length / 1024 / 1024;
  lines.push(`  real clean text (${real.length} files: package sources and .d.ts, logs, API responses; ${fmt(realMb)} MB): ${realFalse} false finding(s)`);
  const realRate = throughputLines("real clean text throughput", realText, realMb, 15, lines);
  lines.push(`    goal ≥ ${GOAL_MB_PER_S} MB/s cpu (current, median): ${realRate >= GOAL_MB_PER_S ? "met" : "NOT MET"}`);

  const small = cleanText(samples.slice(7), 4096);
  const rounds = 10;
  const batch = 500;
  const smallTimings = interleaved(small, rounds, batch);
  lines.push(`  added latency, 4 KB output, µs: ${rounds} interleaved rounds of ${batch} scans; median and p99 of the single scans' wall time, CPU per scan as median (min–max) of the rounds`);
  VARIANTS.forEach((v, i) => {
    const singles = summarise(smallTimings[i]!.singles);
    lines.push(`    ${v.name.padEnd(10)} median ${fmt(singles.median).padStart(6)}  p99 ${fmt(singles.p99).padStart(7)}  cpu ${timeSpread(smallTimings[i]!.cpu)}`);
  });
  const smallMedian = summarise(smallTimings[1]!.singles).median;
  lines.push(`    goal ≤ ${GOAL_4KB_MICROS} µs median (current): ${smallMedian <= GOAL_4KB_MICROS ? "met" : "NOT MET"}`);

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
