/** @module The decision contract: what a policy returns and what the engine hands to callers. */
import { z } from "zod";

export const DecisionKindSchema = z.enum(["ALLOW", "DENY", "REQUIRE_APPROVAL", "ALLOW_WITH_CONSTRAINTS"]);
export type DecisionKind = z.infer<typeof DecisionKindSchema>;

/** Most restrictive last; the Rego combining library uses the same order. */
export const RESTRICTIVENESS: readonly DecisionKind[] = ["ALLOW", "ALLOW_WITH_CONSTRAINTS", "REQUIRE_APPROVAL", "DENY"];

export const ConstraintsSchema = z
  .object({
    max_runtime_sec: z.number().positive().optional(),
    max_retries: z.number().int().nonnegative().optional(),
    network_allowlist: z.array(z.string().min(1)).optional(),
    approval_timeout_sec: z.number().positive().optional(),
    approver_group: z.string().min(1).optional(),
  })
  .strict()
  .describe(
    "Tightest merge of the constraints of all matching rules. Every key is enforced by the gateway, on any decision that carries it; " +
      "an unknown key fails closed (a constraint nobody enforces must not pass as if it held).",
  );
export type Constraints = z.infer<typeof ConstraintsSchema>;

/** What the bundle's decision entrypoint must return. Anything else fails closed. */
export const PolicyResultSchema = z
  .object({
    decision: DecisionKindSchema,
    rules: z.array(z.string().min(1)).min(1),
    reason: z.string().min(1),
    constraints: ConstraintsSchema,
    matched: z.array(z.object({ rule: z.string(), decision: DecisionKindSchema })).default([]),
  })
  .strict();
export type PolicyResult = z.infer<typeof PolicyResultSchema>;

export const BundleRefSchema = z.object({
  hash: z.string().describe("Content hash of the bundle, sha256:<hex>."),
  revision: z.string(),
});
export type BundleRef = z.infer<typeof BundleRefSchema>;

export const FailClosedKindSchema = z.enum(["invalid_envelope", "evaluation_error", "undefined_result", "invalid_result", "timeout"]);
export type FailClosedKind = z.infer<typeof FailClosedKindSchema>;

export const DecisionSchema = PolicyResultSchema.extend({
  bundle: BundleRefSchema,
  fail_closed: FailClosedKindSchema.optional().describe("Set when the engine denied because policy could not decide."),
}).describe("mcpgov decision");
export type Decision = z.infer<typeof DecisionSchema>;

const FAIL_CLOSED_TEXT: Record<FailClosedKind, string> = {
  invalid_envelope: "the envelope is invalid",
  evaluation_error: "policy evaluation failed",
  undefined_result: "the policy returned no decision (undefined result)",
  invalid_result: "the policy result does not match the decision schema",
  timeout: "policy evaluation exceeded its deadline",
};

/** A DENY that says why the policy could not decide. Never an ALLOW. */
export function failClosed(kind: FailClosedKind, detail: string, bundle: BundleRef): Decision {
  const rule = `mcpgov.fail-closed.${kind}`;
  return {
    decision: "DENY",
    rules: [rule],
    reason: `${rule}: denied because ${FAIL_CLOSED_TEXT[kind]}${detail ? `: ${detail}` : ""}`,
    constraints: {},
    matched: [],
    bundle,
    fail_closed: kind,
  };
}
