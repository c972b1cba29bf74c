import { describe, expect, it } from "vitest";
import { DEFAULT_GATES, evaluateGates, GatesFileSchema, parseDuration, withThresholds } from "./gates.js";

const gate = (id: string) => DEFAULT_GATES.gates.find((g) => g.id === id)!;

describe("evaluateGates", () => {
  it("blocks above the threshold, passes at it, and blocks on NaN", () => {
    const values: Record<string, number> = {
      "policy-decision-p95-latency": 0.15,
      "unapproved-high-risk-writes": 1,
      "approval-queue-median-wait": Number.NaN,
      "unknown-server-connections": 0,
      "output-quarantine-ratio": 0.0301,
    };
    const verdict = evaluateGates(DEFAULT_GATES.gates, (g) => ({ value: values[g.id]! }));
    expect(verdict.results.map((r) => [r.id, r.status])).toEqual([
      ["policy-decision-p95-latency", "pass"],
      ["unapproved-high-risk-writes", "block"],
      ["approval-queue-median-wait", "block"],
      ["unknown-server-connections", "pass"],
      ["output-quarantine-ratio", "block"],
    ]);
    expect(verdict.blocked).toBe(true);
  });

  it("treats missing data as a block unless allowed, and says why", () => {
    const missing = () => ({ missing: "the scrape has no counter x" });
    const strict = evaluateGates([gate("unknown-server-connections")], missing);
    expect(strict.results[0]).toMatchObject({ status: "missing", blocks: true, note: "the scrape has no counter x" });
    expect(strict.blocked).toBe(true);
    const allowed = evaluateGates([gate("unknown-server-connections")], missing, { allowMissing: true });
    expect(allowed.results[0]).toMatchObject({ status: "missing", blocks: false });
    expect(allowed.blocked).toBe(false);
  });
});

describe("gate data", () => {
  it("the defaults are the seed's thresholds and pass the schema", () => {
    expect(GatesFileSchema.parse(DEFAULT_GATES)).toEqual(DEFAULT_GATES);
    expect(DEFAULT_GATES.gates.map((g) => [g.id, g.block_above, g.target])).toEqual([
      ["policy-decision-p95-latency", 0.15, 0.05],
      ["unapproved-high-risk-writes", 0, 0],
      ["approval-queue-median-wait", 1200, 600],
      ["unknown-server-connections", 0, 0],
      ["output-quarantine-ratio", 0.03, 0.01],
    ]);
  });

  it("refuses duplicate ids", () => {
    const result = GatesFileSchema.safeParse({ gates: [gate("unknown-server-connections"), gate("unknown-server-connections")] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('duplicate gate id "unknown-server-connections"');
  });

  it("overrides one threshold by id, and names a bad override", () => {
    const changed = withThresholds(DEFAULT_GATES, ["output-quarantine-ratio=0.05"]);
    expect(changed.gates.find((g) => g.id === "output-quarantine-ratio")?.block_above).toBe(0.05);
    expect(DEFAULT_GATES.gates.find((g) => g.id === "output-quarantine-ratio")?.block_above).toBe(0.03);
    expect(() => withThresholds(DEFAULT_GATES, ["output-quarantine-ratio"])).toThrow(/expected GATE-ID=NUMBER/);
  });

  it("parses durations", () => {
    expect(parseDuration("15m", "--window")).toBe(900);
    expect(parseDuration("1d", "--window")).toBe(86_400);
    expect(() => parseDuration("15 minutes", "--window")).toThrow('--window "15 minutes": expected a duration');
  });
});
