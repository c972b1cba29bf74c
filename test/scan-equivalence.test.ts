/**
 * The anchored scan (BUILTIN_RULES) against the reference scan (every
 * pattern searched over the whole text, test/fixtures/reference-scan-rules.ts):
 * the same findings on every labelled and clean sample, on real clean text,
 * on the 10,000-envelope corpus and on hostile input.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_RULES } from "../src/output/builtin-rules.js";
import { scanOutput } from "../src/output/result-scan.js";
import { scanText } from "../src/output/text-scan.js";
import { HOSTILE } from "./bench/scan-bench.js";
import { generateCorpus, seededRandom } from "./fixtures/corpus.js";
import { generateOutputCorpus } from "./fixtures/output-corpus/generate.js";
import { loadRealClean } from "./fixtures/output-corpus/real-clean.js";
import { REFERENCE_RULES } from "./fixtures/reference-scan-rules.js";
import { repoRoot } from "./helpers/cli.js";

const samples = [...generateOutputCorpus(), ...loadRealClean(repoRoot)];
const outputs: unknown[] = samples.map((s) => s.result ?? s.text ?? "");
const texts = samples.map((s) => s.text ?? JSON.stringify(s.result));

describe("anchored scan equals the reference scan", () => {
  it("finds exactly the reference's findings on each labelled, hard-negative and real clean sample", () => {
    expect(outputs.length).toBeGreaterThan(700);
    const differing = outputs.filter((o) => JSON.stringify(scanOutput(o).findings) !== JSON.stringify(scanOutput(o, { rules: REFERENCE_RULES }).findings));
    expect(differing).toEqual([]);
    // Not vacuous: the anchored rules find things in the corpus.
    const anchored = new Set(BUILTIN_RULES.filter((r) => r.anchor).map((r) => r.id));
    const found = new Set(outputs.flatMap((o) => scanOutput(o).findings.map((f) => f.ruleId)).filter((id) => anchored.has(id)));
    expect([...found].sort()).toEqual([...anchored].sort());
  });

  it("finds the same matches in the whole corpus as one text, where samples sit next to each other", () => {
    const all = texts.join("\n");
    expect(scanText(all, BUILTIN_RULES)).toEqual(scanText(all, REFERENCE_RULES));
  });

  it("finds exactly the reference's findings on the 10,000 envelopes of the decision corpus", () => {
    const envelopes = generateCorpus(10_000);
    let findings = 0;
    for (const envelope of envelopes) {
      const fast = scanOutput(envelope);
      expect(fast).toEqual(scanOutput(envelope, { rules: REFERENCE_RULES }));
      findings += fast.findings.length;
    }
    expect(findings).toBeGreaterThan(0);
  });

  it("finds the same matches on seeded random splices of samples and anchor-shaped fragments", () => {
    const rand = seededRandom(14);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const base64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5K/abcdefghijklmnopqrstuvwxyz";
    const fragments = ["@", "://", "sk-", "k-", "eyJ", "yJ", "aws", "AWS_", "secret_access", " ", "\n", "=", ": ", "-", "."];
    let matched = 0;
    for (let n = 0; n < 300; n++) {
      let text = "";
      while (text.length < 2000 + rand() * 6000) {
        const r = rand();
        if (r < 0.4) {
          const sample = pick(texts);
          const at = Math.floor(rand() * sample.length);
          text += sample.slice(at, at + 20 + Math.floor(rand() * 400));
        } else if (r < 0.6) text += base64.slice(0, 30 + Math.floor(rand() * 20)).split("").sort(() => rand() - 0.5).join("");
        else text += pick(fragments).repeat(1 + Math.floor(rand() * (rand() < 0.1 ? 200 : 3)));
      }
      const fast = scanText(text, BUILTIN_RULES);
      expect(fast).toEqual(scanText(text, REFERENCE_RULES));
      matched += fast.matches.length;
    }
    expect(matched).toBeGreaterThan(300);
  });

  it("finds the same matches on hostile input", () => {
    for (const [, unit] of HOSTILE) {
      const text = unit.repeat(Math.ceil(65_536 / unit.length));
      expect(scanText(text, BUILTIN_RULES)).toEqual(scanText(text, REFERENCE_RULES));
    }
  });

  it("keeps each literal anchor's promise: every match of the rule's pattern starts at its offset before an anchor literal", () => {
    const all = texts.join("\n");
    for (const rule of BUILTIN_RULES.filter((r) => r.anchor?.literals)) {
      const { literals = [], offset = 0 } = rule.anchor!;
      const pattern = new RegExp(rule.pattern.source, rule.pattern.flags);
      let count = 0;
      for (const m of all.matchAll(pattern)) {
        count++;
        expect(literals.some((l) => all.startsWith(l, m.index + offset)), `${rule.id} at ${m.index}`).toBe(true);
      }
      expect(count, rule.id).toBeGreaterThan(0);
    }
  });
});
