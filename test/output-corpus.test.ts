import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanOutput } from "../src/output/result-scan.js";
import { predictedTypes, scoreCorpus } from "./bench/scan-bench.js";
import { corpusJsonl, corpusPath, generateOutputCorpus } from "./fixtures/output-corpus/generate.js";
import { loadRealClean } from "./fixtures/output-corpus/real-clean.js";
import { repoRoot } from "./helpers/cli.js";

describe("output corpus", () => {
  const samples = generateOutputCorpus();
  const real = loadRealClean(repoRoot);

  it("is what the seeded generator writes", () => {
    expect(readFileSync(corpusPath(repoRoot), "utf8")).toBe(corpusJsonl(samples));
  });

  it("holds at least 300 labelled samples and 300 hard negatives", () => {
    expect(samples.filter((s) => s.labels.length > 0).length).toBeGreaterThanOrEqual(300);
    expect(samples.filter((s) => s.labels.length === 0).length).toBeGreaterThanOrEqual(300);
  });

  // A quality floor, not a timing: precision and recall only fall if a rule regresses.
  it("is scanned with precision and recall of at least 0.95, real clean text included", () => {
    const { overall } = scoreCorpus([...samples, ...real]);
    expect(overall.tp / (overall.tp + overall.fp)).toBeGreaterThanOrEqual(0.95);
    expect(overall.tp / (overall.tp + overall.fn)).toBeGreaterThanOrEqual(0.95);
  });

  it("reports nothing on real clean text: package sources and type declarations, logs, command output, API responses", () => {
    expect(real.length).toBeGreaterThanOrEqual(20);
    const falseFindings = real.flatMap((s) => [...predictedTypes(s)].map((type) => `${s.id}: ${type}`));
    expect(falseFindings).toEqual([]);
  });

  it("finds nothing the reference output policy would act on in the MCP SDK's types.d.ts", () => {
    const text = readFileSync(join(repoRoot, "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm", "types.d.ts"), "utf8");
    const output = (JSON.parse(readFileSync(join(repoRoot, "policy", "reference", "mcpgov", "config", "data.json"), "utf8")) as { output: Record<string, { types?: string[]; min_confidence?: number }> }).output;
    const acted = scanOutput(text).findings.filter((f) => Object.values(output).some((rule) => rule.types?.includes(f.type) && f.confidence >= (rule.min_confidence ?? 0)));
    expect(acted).toEqual([]);
  });
});
