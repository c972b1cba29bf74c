/**
 * @module Decision parity: the same envelope decided by the compiled WASM
 * engine and by OPA's topdown over the same Rego sources, and the parts of
 * the two decisions that differ. `mcpgov test` and `mcpgov diff --parity`
 * fail on any difference: a policy must decide the same under `opa test`
 * and in the gateway.
 */
import { type BundleRef, type Decision, failClosed, PolicyResultSchema } from "../core/decision.js";
import type { Envelope } from "../core/envelope.js";
import { describeIssues } from "../core/issues.js";
import { DECISION_ENTRYPOINT } from "../engine/policy-engine.js";
import type { TopdownEvaluator, TopdownResult } from "../toolchain/topdown.js";

/** The fields of a decision both evaluators must agree on. */
export const PARITY_FIELDS = ["decision", "rules", "matched", "constraints", "reason", "fail_closed"] as const;
export type ParityField = (typeof PARITY_FIELDS)[number];

export interface ParityDifference {
  field: ParityField;
  wasm: unknown;
  topdown: unknown;
}

/** The decision topdown's result makes, read exactly as WasmPolicyEngine.decideValid reads the WASM result. */
export function topdownDecision(result: TopdownResult, bundle: BundleRef): Decision {
  if (result.kind === "error") return failClosed("evaluation_error", result.message, bundle);
  if (result.kind === "undefined") return failClosed("undefined_result", `entrypoint ${DECISION_ENTRYPOINT} is undefined for this input`, bundle);
  const parsed = PolicyResultSchema.safeParse(result.value);
  if (!parsed.success) return failClosed("invalid_result", describeIssues(parsed.error), bundle);
  return { ...parsed.data, bundle };
}

const text = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

/**
 * What differs between two decisions. When both fail closed the same way
 * the reasons are not compared: each carries its own evaluator's message.
 */
export function decisionDifferences(wasm: Omit<Decision, "bundle">, topdown: Omit<Decision, "bundle">): ParityDifference[] {
  const bothFailedAlike = wasm.fail_closed !== undefined && wasm.fail_closed === topdown.fail_closed;
  const out: ParityDifference[] = [];
  for (const field of PARITY_FIELDS) {
    if (field === "reason" && bothFailedAlike) continue;
    if (text(wasm[field]) !== text(topdown[field])) out.push({ field, wasm: wasm[field], topdown: topdown[field] });
  }
  return out;
}

/** The rules one side matched and the other did not: what to look at first. */
export function rulesInDispute(wasm: Pick<Decision, "rules">, topdown: Pick<Decision, "rules">): string[] {
  const a = new Set(wasm.rules);
  const b = new Set(topdown.rules);
  return [...new Set([...wasm.rules.filter((r) => !b.has(r)), ...topdown.rules.filter((r) => !a.has(r))])].sort();
}

/** Decides a valid envelope on topdown, with the same JSON text the WASM engine is given. */
export async function decideOnTopdown(topdown: TopdownEvaluator, envelope: Envelope, bundle: BundleRef): Promise<Decision> {
  return topdownDecision(await topdown.evaluate(DECISION_ENTRYPOINT, JSON.stringify(envelope)), bundle);
}

export interface ParityDisagreement<T> {
  item: T;
  wasm: Omit<Decision, "bundle">;
  topdown: Omit<Decision, "bundle">;
  differences: ParityDifference[];
  rulesInDispute: string[];
}

/**
 * Decides valid envelopes on both evaluators and returns where they differ.
 * The WASM side is synchronous; topdown requests run `width` at a time
 * against one server.
 */
export async function compareEvaluators<T>(
  items: readonly T[],
  envelopeOf: (item: T) => Envelope,
  wasm: { decideValid(envelope: Envelope): Decision; bundle: BundleRef },
  topdown: TopdownEvaluator,
  width = 8,
): Promise<ParityDisagreement<T>[]> {
  const found: { index: number; disagreement: ParityDisagreement<T> }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        const item = items[index]!;
        const envelope = envelopeOf(item);
        const { bundle: _a, ...fromWasm } = wasm.decideValid(envelope);
        const { bundle: _b, ...fromTopdown } = await decideOnTopdown(topdown, envelope, wasm.bundle);
        const differences = decisionDifferences(fromWasm, fromTopdown);
        if (differences.length > 0) {
          found.push({ index, disagreement: { item, wasm: fromWasm, topdown: fromTopdown, differences, rulesInDispute: rulesInDispute(fromWasm, fromTopdown) } });
        }
      }
    }),
  );
  return found.sort((a, b) => a.index - b.index).map((f) => f.disagreement);
}
