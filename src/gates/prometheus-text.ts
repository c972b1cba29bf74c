/**
 * @module Reads the rollout gates' measures from one scrape of a gateway's
 * /metrics (Prometheus text format). Counters and histograms are cumulative
 * since the gateway started, so a single scrape reads "since start"; the
 * quarantine ratio is the gateway's own 15-minute window. For windows
 * across a fleet, the Prometheus rules (prometheus-rules.ts) are the tool.
 */
import type { Gate, GateMeasure, Measurement } from "../core/gates.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** Metric families the scrape declared (# TYPE lines), with their types. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

const sum = (scrape: Scrape, name: string): number => scrape.samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);

/**
 * The q-quantile of a histogram summed over all its other labels, the way
 * PromQL's histogram_quantile reads it: linear within the bucket the rank
 * falls in; a rank in the +Inf bucket reads as the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      if (bucket.count === lowerCount) return bucket.le;
      return lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / (bucket.count - lowerCount);
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

function histogram(scrape: Scrape, name: string, q: number, what: string): Measurement {
  if (scrape.types.get(name) !== "histogram") return { missing: `the scrape has no histogram ${name}` };
  const byLe = new Map<number, number>();
  for (const s of scrape.samples) {
    if (s.name !== `${name}_bucket` || s.labels["le"] === undefined) continue;
    const le = s.labels["le"] === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels["le"]);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const value = histogramQuantile(q, [...byLe].map(([le, count]) => ({ le, count })));
  if (value === undefined) return { value: 0, note: `no ${what} observed since the gateway started` };
  return { value, note: `since the gateway started (${sum(scrape, `${name}_count`)} ${what})` };
}

function counter(scrape: Scrape, name: string): Measurement {
  if (scrape.types.get(name) !== "counter") return { missing: `the scrape has no counter ${name}` };
  return { value: sum(scrape, name), note: "since the gateway started" };
}

const READERS: Record<GateMeasure, (scrape: Scrape) => Measurement> = {
  decision_latency_p95_seconds: (s) => histogram(s, "mcpgov_decision_latency_seconds", 0.95, "decisions"),
  unapproved_high_risk_writes: (s) => counter(s, "mcpgov_unapproved_high_risk_writes_total"),
  approval_queue_median_wait_seconds: (s) => histogram(s, "mcpgov_approval_queue_wait_seconds", 0.5, "approval decisions"),
  unknown_server_connections: (s) => counter(s, "mcpgov_unknown_server_attempts_total"),
  output_quarantine_ratio: (s) => {
    const name = "mcpgov_output_quarantine_ratio";
    if (hasGauge(s, name)) return { value: sum(s, name), note: "the gateway's last 15 minutes" };
    return { missing: `the scrape has no gauge ${name}` };
  },
};

function hasGauge(scrape: Scrape, name: string): boolean {
  return scrape.types.get(name) === "gauge" && scrape.samples.some((s) => s.name === name);
}

/** The measure reader for one scrape. */
export function scrapeMeasures(scrape: Scrape): (gate: Gate) => Measurement {
  return (gate) => READERS[gate.measure](scrape);
}
