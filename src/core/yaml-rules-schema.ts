/**
 * @module The YAML rule file format (the seed's mcp-governance-policy.yaml):
 * its schema, and the normalised form the Rego evaluator
 * (policy/lib/mcpgov/rules/yaml) reads as data.mcpgov.yaml_rules.
 *
 * Validation is strict on purpose: a typo such as `match.lables` must be an
 * error, not a rule without conditions that matches every call.
 */
import { z } from "zod";
import { ConstraintsSchema, type Constraints, type DecisionKind, DecisionKindSchema } from "./decision.js";
import { ActionSchema, LabelsSchema } from "./envelope.js";
import { didYouMean } from "./did-you-mean.js";

/** Labels the envelope defines under the reserved `mcp.` prefix. */
export const MCP_LABELS: readonly string[] = Object.keys(LabelsSchema.shape);

/** Rule ids under this prefix name mcpgov's own outcomes (mcpgov.default-deny, …). */
export const RESERVED_RULE_PREFIX = "mcpgov.";

export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[]): string {
  const expected = `allowed: ${allowed.join(", ")}`;
  if (keys.length !== 1) return `unknown keys ${keys.map((k) => JSON.stringify(k)).join(", ")}; ${expected}`;
  const guess = didYouMean(keys[0]!, allowed);
  return `unknown key${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ""}; ${expected}`;
}

/** An object that refuses keys it does not define, and says which keys it takes. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? unknownKeysMessage(issue.keys, allowed) : undefined),
  });
}

const Name = z.string().min(1, "must not be empty");
const NameList = z
  .array(Name.refine((value) => value !== "*", '"*" matches any value on its own; it cannot be part of a list'))
  .min(1, "the list is empty");

export const LabelMatcherSchema = z
  .union([Name, NameList], { error: 'expected a string, a list of strings, or "*"' })
  .describe('A string (equality), a list of strings (membership), or "*" (any value, label present).');

const ActionMatcherSchema = z
  .union([z.literal("*"), ActionSchema, z.array(ActionSchema).min(1, "the list is empty")], {
    error: `expected one of ${ActionSchema.options.join(", ")}, a list of them, or "*"`,
  })
  .describe('The action label: read, write or destructive, a list of them, or "*". "write" does not match destructive calls.');

export const LabelsMatchSchema = z
  .object({
    "mcp.action": ActionMatcherSchema.optional(),
    "mcp.server": LabelMatcherSchema.optional(),
    "mcp.tool": LabelMatcherSchema.optional(),
  })
  .catchall(LabelMatcherSchema)
  .superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
      if (!key.startsWith("mcp.") || MCP_LABELS.includes(key)) continue;
      const guess = didYouMean(key, MCP_LABELS);
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `unknown mcp label${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ""}; the mcp. labels are ${MCP_LABELS.join(", ")}`,
      });
    }
  })
  .describe("Every label must match the call's labels. Labels outside mcp. are the operator's own.");

export const YamlMatchSchema = strictObject({
  labels: LabelsMatchSchema.optional(),
  risk_tags: NameList.optional().describe("Every tag must be among the call's risk tags."),
  mcp: strictObject({
    deny_servers_not_in: NameList.describe("The rule matches calls whose server (label mcp.server) is not in this list."),
  }).optional(),
})
  .refine((match) => Object.keys(match.labels ?? {}).length > 0 || match.risk_tags !== undefined || match.mcp !== undefined, {
    message: 'needs at least one condition; to match every call write labels: {mcp.server: "*"}',
    // After an unknown key (`lables`) the missing condition is that key's fault; say it once.
    when: (payload) => payload.issues.length === 0,
  })
  .describe("All conditions must hold for the rule to match.");

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const YamlConstraintsSchema = strictObject({
  ...ConstraintsSchema.shape,
  network_allowlist: z
    .array(z.string().regex(HOSTNAME, "expected a lower-case hostname such as api.github.com (no scheme, port, path or wildcard)"))
    .optional()
    .describe("Hosts the call may reach; several rules' lists intersect."),
});

export const RuleIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected letters, digits, '.', '_' or '-', starting with a letter or digit")
  .refine((id) => !id.startsWith(RESERVED_RULE_PREFIX), `ids starting with ${RESERVED_RULE_PREFIX} are reserved for mcpgov`);

export const YamlRuleSchema = strictObject({
  id: RuleIdSchema.describe("Unique across the policy folder, YAML and Rego alike; decisions name it."),
  match: YamlMatchSchema,
  decision: z.enum(DecisionKindSchema.options, { error: `must be one of ${DecisionKindSchema.options.join(", ")}` }),
  constraints: YamlConstraintsSchema.optional(),
}).superRefine((rule, ctx) => {
  const constrained = rule.constraints !== undefined && Object.keys(rule.constraints).length > 0;
  if (rule.decision === "ALLOW_WITH_CONSTRAINTS" && !constrained) {
    ctx.addIssue({ code: "custom", path: ["decision"], message: "ALLOW_WITH_CONSTRAINTS needs a non-empty constraints block" });
  }
  if (rule.decision === "DENY" && rule.constraints !== undefined) {
    ctx.addIssue({ code: "custom", path: ["constraints"], message: "a DENY rule takes no constraints" });
  }
});
export type YamlRule = z.infer<typeof YamlRuleSchema>;

export const YamlRuleFileSchema = strictObject({
  version: z.literal("v1", { error: "must be v1" }),
  rules: z.array(YamlRuleSchema).min(1, "a rule file needs at least one rule"),
})
  .superRefine((file, ctx) => {
    const first = new Map<string, number>();
    file.rules.forEach((rule, index) => {
      const earlier = first.get(rule.id);
      if (earlier === undefined) first.set(rule.id, index);
      else ctx.addIssue({ code: "custom", path: ["rules", index, "id"], message: `duplicate rule id; rules[${earlier}] has it too` });
    });
  })
  .describe("mcpgov YAML rule file (mcp-governance-policy.yaml), version v1");
export type YamlRuleFile = z.infer<typeof YamlRuleFileSchema>;

/** One rule as the Rego evaluator reads it: every label matcher is "*" or a list. */
export interface YamlRuleData {
  id: string;
  decision: DecisionKind;
  labels: Record<string, "*" | string[]>;
  risk_tags: string[];
  deny_servers_not_in?: string[];
  constraints: Constraints;
}

/** The rules of one file; `file` is relative to the policy folder, never absolute. */
export interface YamlRuleSourceData {
  file: string;
  rules: YamlRuleData[];
}

export function normaliseYamlRules(file: string, parsed: YamlRuleFile): YamlRuleSourceData {
  return {
    file,
    rules: parsed.rules.map((rule) => ({
      id: rule.id,
      decision: rule.decision,
      labels: Object.fromEntries(
        Object.entries(rule.match.labels ?? {}).flatMap(([key, value]) =>
          value === undefined ? [] : [[key, value === "*" ? "*" : typeof value === "string" ? [value] : value]],
        ),
      ),
      risk_tags: rule.match.risk_tags ?? [],
      ...(rule.match.mcp ? { deny_servers_not_in: rule.match.mcp.deny_servers_not_in } : {}),
      constraints: rule.constraints ?? {},
    })),
  };
}
