/**
 * @module The catalog-decision contract: what a bundle's catalog entrypoint
 * (mcpgov/catalog/result) reads about one tool, prompt or resource
 * definition and returns (PASS, FLAG, HIDE), and what the engine hands to
 * callers. The input carries finding types, fields and severities, never
 * the text that was found.
 */
import { z } from "zod";
import { type BundleRef, BundleRefSchema } from "./decision.js";

export const DefinitionKindSchema = z.enum(["tool", "prompt", "resource", "resource_template"]);
export type DefinitionKind = z.infer<typeof DefinitionKindSchema>;

export const FindingSeveritySchema = z.enum(["low", "medium", "high"]);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

/** Every type the scanner reports; policies match on these strings. */
export const DEFINITION_FINDING_TYPES = [
  "instruction_tag",
  "override_phrase",
  "concealment_phrase",
  "precondition_phrase",
  "sensitive_path",
  "unicode_tag_chars",
  "bidi_control",
  "zero_width",
  "whitespace_run",
  "server_reference",
  "cross_server_tool_reference",
  "name_collision_case",
  "name_collision_confusable",
  "scan_truncated",
] as const;
export type DefinitionFindingType = (typeof DEFINITION_FINDING_TYPES)[number];

/** One finding of the definition scanner: where and what, never the whole text. */
export interface DefinitionFinding {
  type: DefinitionFindingType;
  /** JSON path of the string, e.g. `$.inputSchema.properties.path.description`; a key is `…@key`. */
  field: string;
  severity: FindingSeverity;
  /** A short label (the tag, the path family, a count), never the text around it. */
  detail: string;
}

export const CatalogDecisionKindSchema = z.enum(["PASS", "FLAG", "HIDE"]);
export type CatalogDecisionKind = z.infer<typeof CatalogDecisionKindSchema>;

/** Most restrictive last; the Rego catalog library uses the same order. */
export const CATALOG_RESTRICTIVENESS: readonly CatalogDecisionKind[] = ["PASS", "FLAG", "HIDE"];

/** At most this many findings go to the policy; more are cut and the cut is a finding itself. */
export const MAX_POLICY_FINDINGS = 100;

export const CatalogPolicyInputSchema = z
  .strictObject({
    version: z.literal("v1"),
    server: z.strictObject({
      id: z.string().min(1),
      registered: z.boolean(),
      trusted: z.boolean().default(false),
      environment: z.string().optional(),
      risk_tags: z.array(z.string()).default([]),
    }),
    entry: z.strictObject({ kind: DefinitionKindSchema, name: z.string() }),
    findings: z
      .array(z.strictObject({ type: z.string().min(1), field: z.string(), severity: FindingSeveritySchema }))
      .max(MAX_POLICY_FINDINGS + 1),
  })
  .describe("mcpgov catalog policy input");
export type CatalogPolicyInput = z.infer<typeof CatalogPolicyInputSchema>;

/** What the bundle's catalog entrypoint must return. Anything else hides. */
export const CatalogPolicyResultSchema = z.strictObject({
  decision: CatalogDecisionKindSchema,
  rules: z.array(z.string().min(1)).min(1),
  reason: z.string().min(1),
  matched: z.array(z.object({ rule: z.string(), decision: CatalogDecisionKindSchema })).default([]),
});
export type CatalogPolicyResult = z.infer<typeof CatalogPolicyResultSchema>;

export const CatalogFailClosedKindSchema = z.enum(["invalid_input", "missing_entrypoint", "evaluation_error", "undefined_result", "invalid_result", "timeout"]);
export type CatalogFailClosedKind = z.infer<typeof CatalogFailClosedKindSchema>;

export const CatalogDecisionSchema = CatalogPolicyResultSchema.extend({
  bundle: BundleRefSchema,
  fail_closed: CatalogFailClosedKindSchema.optional().describe("Set when the engine decided without the catalog policy."),
}).describe("mcpgov catalog decision");
export type CatalogDecision = z.infer<typeof CatalogDecisionSchema>;

const FAIL_CLOSED_TEXT: Record<CatalogFailClosedKind, string> = {
  invalid_input: "the catalog policy input is invalid",
  missing_entrypoint: "the bundle has no catalog policy",
  evaluation_error: "catalog policy evaluation failed",
  undefined_result: "the catalog policy returned no decision (undefined result)",
  invalid_result: "the catalog policy result does not match the catalog decision schema",
  timeout: "catalog policy evaluation exceeded its deadline",
};

/** A HIDE that says why the catalog policy could not decide. Never a PASS. */
export function catalogFailClosed(kind: CatalogFailClosedKind, detail: string, bundle: BundleRef): CatalogDecision {
  const rule = `mcpgov.catalog.fail-closed.${kind}`;
  return {
    decision: "HIDE",
    rules: [rule],
    reason: `${rule}: hidden because ${FAIL_CLOSED_TEXT[kind]}${detail ? `: ${detail}` : ""}`,
    matched: [],
    bundle,
    fail_closed: kind,
  };
}

/**
 * The decision for a bundle built before catalog policies existed: fail
 * closed but usable. A definition with findings is hidden (nobody decided
 * it is safe); one without findings passes, so an old bundle keeps serving
 * clean tools.
 */
export function catalogWithoutPolicy(input: CatalogPolicyInput, bundle: BundleRef): CatalogDecision {
  if (input.findings.length > 0) {
    const types = [...new Set(input.findings.map((f) => f.type))].sort().join(", ");
    return catalogFailClosed("missing_entrypoint", `${input.entry.kind} "${input.entry.name}" has findings (${types})`, bundle);
  }
  const rule = "mcpgov.catalog.no-policy-pass";
  return {
    decision: "PASS",
    rules: [rule],
    reason: `${rule}: the bundle has no catalog policy and the definition has no findings`,
    matched: [],
    bundle,
    fail_closed: "missing_entrypoint",
  };
}

export interface CatalogServerFacts {
  id: string;
  registered: boolean;
  trusted?: boolean;
  environment?: string;
  risk_tags?: readonly string[];
}

/**
 * The catalog policy input for one definition: findings without their
 * details (the policy decides on types, fields and severities), cut at
 * MAX_POLICY_FINDINGS with a scan_truncated finding saying so.
 */
export function buildCatalogInput(server: CatalogServerFacts, entry: { kind: DefinitionKind; name: string }, findings: readonly DefinitionFinding[]): CatalogPolicyInput {
  const summary = findings.slice(0, MAX_POLICY_FINDINGS).map((f) => ({ type: f.type, field: f.field, severity: f.severity }));
  if (findings.length > MAX_POLICY_FINDINGS) summary.push({ type: "scan_truncated", field: "$", severity: "high" });
  return {
    version: "v1",
    server: {
      id: server.id,
      registered: server.registered,
      trusted: server.trusted ?? false,
      ...(server.environment !== undefined ? { environment: server.environment } : {}),
      risk_tags: [...(server.risk_tags ?? [])],
    },
    entry: { kind: entry.kind, name: entry.name },
    findings: summary,
  };
}
