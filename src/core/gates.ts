/**
 * @module The rollout gates (the seed's "Rollout and ops gates"): what each
 * measures, its target and block threshold as data, and the pure verdict
 * over measured values. Missing data blocks unless the caller allows it:
 * a gate nobody could measure has not passed.
 */
import { z } from "zod";
import { McpgovError } from "./errors.js";

export const GateMeasureSchema = z
  .enum(["decision_latency_p95_seconds", "unapproved_high_risk_writes", "approval_queue_median_wait_seconds", "unknown_server_connections", "output_quarantine_ratio"])
  .describe("What the gate reads; each measure has one PromQL expression and one reading from a /metrics scrape.");
export type GateMeasure = z.infer<typeof GateMeasureSchema>;

const DurationSchema = z.string().regex(/^\d+(s|m|h|d)$/, "expected a duration such as 30s, 15m, 1h or 1d");

export const GateSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a lower-case id with dashes"),
    title: z.string().min(1),
    owner: z.string().min(1).describe("Who acts when the gate blocks (the seed's Owner column)."),
    measure: GateMeasureSchema,
    target: z.number().nonnegative().describe("The healthy value (shown, not enforced)."),
    block_above: z.number().nonnegative().describe("The gate blocks when the measured value is above this."),
    window: DurationSchema.describe("The range the PromQL rate/increase reads (Prometheus rules)."),
    for: DurationSchema.describe("How long the block condition must hold before the alert fires (0s: at once)."),
  })
  .describe("One rollout gate.");
export type Gate = z.infer<typeof GateSchema>;

export const GatesFileSchema = z
  .strictObject({
    gates: z.array(GateSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.gates.forEach((gate, index) => {
      if (seen.has(gate.id)) ctx.addIssue({ code: "custom", path: ["gates", index, "id"], message: `duplicate gate id "${gate.id}"` });
      seen.add(gate.id);
    });
  })
  .describe("mcpgov rollout gates (mcpgov gates --gates FILE).");
export type GatesFile = z.infer<typeof GatesFileSchema>;

/** The seed's five gates, with its targets and block conditions. */
export const DEFAULT_GATES: GatesFile = {
  gates: [
    { id: "policy-decision-p95-latency", title: "Policy decision p95 latency", owner: "Platform", measure: "decision_latency_p95_seconds", target: 0.05, block_above: 0.15, window: "5m", for: "15m" },
    { id: "unapproved-high-risk-writes", title: "Unapproved high-risk writes", owner: "Governance", measure: "unapproved_high_risk_writes", target: 0, block_above: 0, window: "1h", for: "0s" },
    { id: "approval-queue-median-wait", title: "Approval queue median wait", owner: "Ops Lead", measure: "approval_queue_median_wait_seconds", target: 600, block_above: 1200, window: "10m", for: "30m" },
    { id: "unknown-server-connections", title: "Unknown server connections", owner: "Security", measure: "unknown_server_connections", target: 0, block_above: 0, window: "1h", for: "0s" },
    { id: "output-quarantine-ratio", title: "Output QUARANTINE ratio", owner: "Safety Team", measure: "output_quarantine_ratio", target: 0.01, block_above: 0.03, window: "5m", for: "15m" },
  ],
};

/** The unit a measure is read in, for people. */
export const MEASURE_UNIT: Record<GateMeasure, "seconds" | "count" | "ratio"> = {
  decision_latency_p95_seconds: "seconds",
  unapproved_high_risk_writes: "count",
  approval_queue_median_wait_seconds: "seconds",
  unknown_server_connections: "count",
  output_quarantine_ratio: "ratio",
};

/** A measured value (with a note on what it covers), or why there is none. */
export type Measurement = { value: number; note?: string } | { missing: string };

export type GateStatus = "pass" | "block" | "missing";

export interface GateResult {
  id: string;
  title: string;
  owner: string;
  status: GateStatus;
  /** Whether this result stops the rollout (a block, or missing data unless allowed). */
  blocks: boolean;
  value?: number;
  block_above: number;
  target: number;
  unit: "seconds" | "count" | "ratio";
  note?: string;
}

export interface GatesVerdict {
  results: GateResult[];
  blocked: boolean;
}

export function evaluateGates(gates: readonly Gate[], measure: (gate: Gate) => Measurement, options: { allowMissing?: boolean } = {}): GatesVerdict {
  const results = gates.map((gate): GateResult => {
    const base = { id: gate.id, title: gate.title, owner: gate.owner, block_above: gate.block_above, target: gate.target, unit: MEASURE_UNIT[gate.measure] };
    const measured = measure(gate);
    if ("missing" in measured) return { ...base, status: "missing", blocks: options.allowMissing !== true, note: measured.missing };
    // NaN (an unreadable store, say) is not below any threshold.
    const blocked = !(measured.value <= gate.block_above);
    return { ...base, status: blocked ? "block" : "pass", blocks: blocked, value: measured.value, ...(measured.note ? { note: measured.note } : {}) };
  });
  return { results, blocked: results.some((r) => r.blocks) };
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "15m" → 900; an error naming the flag for anything else. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!match) throw new McpgovError("usage", `${flag} "${text}": expected a duration such as 30s, 15m, 1h or 1d`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

/**
 * Applies `--threshold ID=N` overrides; an unknown id or a bad number is an
 * error naming it, never a silently ignored flag.
 */
export function withThresholds(file: GatesFile, overrides: readonly string[]): GatesFile {
  const gates = file.gates.map((g) => ({ ...g }));
  for (const override of overrides) {
    const match = /^([a-z][a-z0-9-]*)=(\d+(?:\.\d+)?)$/.exec(override);
    if (!match) throw new McpgovError("usage", `--threshold "${override}": expected GATE-ID=NUMBER, e.g. unapproved-high-risk-writes=0`);
    const gate = gates.find((g) => g.id === match[1]);
    if (!gate) throw new McpgovError("usage", `--threshold "${override}": no gate "${match[1]}" (gates: ${gates.map((g) => g.id).join(", ")})`);
    gate.block_above = Number(match[2]);
  }
  return { gates };
}
