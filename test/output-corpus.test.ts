import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoreCorpus } from "./bench/scan-bench.js";
import { corpusJsonl, corpusPath, generateOutputCorpus } from "./fixtures/output-corpus/generate.js";
import { repoRoot } from "./helpers/cli.js";

describe("output corpus", () => {
  const samples = generateOutputCorpus();

  it("is what the seeded generator writes", () => {
    expect(readFileSync(corpusPath(repoRoot), "utf8")).toBe(corpusJsonl(samples));
  });

  it("holds at least 300 labelled samples and 300 hard negatives", () => {
    expect(samples.filter((s) => s.labels.length > 0).length).toBeGreaterThanOrEqual(300);
    expect(samples.filter((s) => s.labels.length === 0).length).toBeGreaterThanOrEqual(300);
  });

  // A quality floor, not a timing: precision and recall only fall if a rule regresses.
  it("is scanned with precision and recall of at least 0.95", () => {
    const { overall } = scoreCorpus(samples);
    expect(overall.tp / (overall.tp + overall.fp)).toBeGreaterThanOrEqual(0.95);
    expect(overall.tp / (overall.tp + overall.fn)).toBeGreaterThanOrEqual(0.95);
  });
});
