import { describe, expect, it } from "vitest";
import { DEFAULT_GATES } from "../core/gates.js";
import { histogramQuantile, parseScrape, scrapeMeasures } from "./prometheus-text.js";

describe("histogramQuantile", () => {
  it("interpolates within the bucket the rank falls in, as PromQL does", () => {
    // 10 observations: 4 ≤ 0.1, 9 ≤ 0.2, 10 ≤ +Inf.
    const buckets = [
      { le: 0.1, count: 4 },
      { le: 0.2, count: 9 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.12, 10);
    expect(histogramQuantile(0.2, buckets)).toBeCloseTo(0.05, 10);
    // Rank in +Inf: the highest finite bound.
    expect(histogramQuantile(0.95, buckets)).toBe(0.2);
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeUndefined();
  });
});

describe("scrapeMeasures", () => {
  it("sums a histogram's buckets over its labels before the quantile", () => {
    const text = [
      "# TYPE mcpgov_approval_queue_wait_seconds histogram",
      'mcpgov_approval_queue_wait_seconds_bucket{le="600",decision="approved"} 1',
      'mcpgov_approval_queue_wait_seconds_bucket{le="1800",decision="approved"} 1',
      'mcpgov_approval_queue_wait_seconds_bucket{le="+Inf",decision="approved"} 1',
      'mcpgov_approval_queue_wait_seconds_bucket{le="600",decision="denied"} 0',
      'mcpgov_approval_queue_wait_seconds_bucket{le="1800",decision="denied"} 3',
      'mcpgov_approval_queue_wait_seconds_bucket{le="+Inf",decision="denied"} 3',
      'mcpgov_approval_queue_wait_seconds_count{decision="approved"} 1',
      'mcpgov_approval_queue_wait_seconds_count{decision="denied"} 3',
    ].join("\n");
    const gate = DEFAULT_GATES.gates.find((g) => g.measure === "approval_queue_median_wait_seconds")!;
    // 4 waits: 1 ≤ 600, 4 ≤ 1800; the median (rank 2) is a third into (600, 1800].
    expect(scrapeMeasures(parseScrape(text))(gate)).toEqual({ value: 1000, note: "since the gateway started (4 approval decisions)" });
  });

  it("reports a family the scrape lacks as missing", () => {
    const gate = DEFAULT_GATES.gates.find((g) => g.measure === "unapproved_high_risk_writes")!;
    expect(scrapeMeasures(parseScrape("# TYPE other counter\nother 1\n"))(gate)).toEqual({ missing: "the scrape has no counter mcpgov_unapproved_high_risk_writes_total" });
  });
});
