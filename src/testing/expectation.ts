/** @module What a test case expects of a decision, and how a decision is compared with it. */
import { z } from "zod";
import { canonicalJson } from "../core/canonical.js";
import { type Decision, DecisionKindSchema } from "../core/decision.js";
import type { Mismatch } from "./results.js";

const RuleIds = z.array(z.string().min(1));

export const ExpectationSchema = z
  .object({
    decision: DecisionKindSchema,
    rules: RuleIds.optional().describe("The decision's rules, exactly (order does not matter)."),
    matched: RuleIds.optional().describe("Every rule that hit, exactly (order does not matter)."),
    constraints: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Each listed constraint must be present with this value; unlisted ones are ignored unless constraints_exact."),
    constraints_exact: z.boolean().optional().describe("Also fail on constraints the case does not list."),
  })
  .strict();
export type Expectation = z.infer<typeof ExpectationSchema>;

function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function compareIds(field: string, expected: string[] | undefined, actual: string[], out: Mismatch[]): void {
  if (expected === undefined) return;
  const want = [...new Set(expected)].sort();
  const got = [...new Set(actual)].sort();
  if (!sameJson(want, got)) out.push({ field, expected: want, actual: got });
}

/**
 * Lists every way the decision differs from the expectation, in a fixed
 * order (decision, rules, matched, constraints by key), so that a report
 * shows all of them at once rather than the first.
 */
export function compareDecision(expect: Expectation, decision: Pick<Decision, "decision" | "rules" | "matched" | "constraints">): Mismatch[] {
  const out: Mismatch[] = [];
  if (expect.decision !== decision.decision) out.push({ field: "decision", expected: expect.decision, actual: decision.decision });
  compareIds("rules", expect.rules, decision.rules, out);
  compareIds(
    "matched",
    expect.matched,
    decision.matched.map((m) => m.rule),
    out,
  );
  // constraints_exact alone means "no constraints at all".
  const expected = expect.constraints ?? (expect.constraints_exact ? {} : undefined);
  if (expected !== undefined) {
    const actual = decision.constraints as Record<string, unknown>;
    const keys = new Set(Object.keys(expected));
    if (expect.constraints_exact) for (const key of Object.keys(actual)) keys.add(key);
    for (const key of [...keys].sort()) {
      const want = expected[key];
      const got = actual[key];
      if (want === undefined || got === undefined ? want !== got : !sameJson(want, got)) {
        out.push({ field: `constraints.${key}`, expected: want, actual: got });
      }
    }
  }
  return out;
}
