/**
 * @module Operator rule files (YAML or JSON): their schema, and how a file
 * becomes scan rules. Pure: rule-file.ts reads the file.
 *
 * ```yaml
 * rules:
 *   - id: acme.internal-token
 *     type: acme_token
 *     regex: "acme_[A-Za-z0-9]{32}"
 *     keywords: [acme]        # optional: one must appear shortly before the value
 *     min_entropy: 3.5        # optional: Shannon bits per character
 * ```
 */
import { parseDocument } from "yaml";
import { z } from "zod";
import type { Diagnostic } from "../core/errors.js";
import { issuePath } from "../core/issues.js";
import { linearRegexProblem } from "./linear-regex.js";
import type { ScanRule } from "./scan-rule.js";
import { isPlaceholder } from "./validators.js";

export const UserRuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "lower-case letters, digits, . _ and -"),
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "lower-case snake_case"),
  category: z.enum(["secret", "pii"]).default("secret"),
  regex: z.string().min(1).max(2000),
  case_insensitive: z.boolean().default(false),
  keywords: z.array(z.string().min(1).max(64)).min(1).optional(),
  keyword_window: z.number().int().min(1).max(4096).default(64),
  min_entropy: z.number().min(0).max(8).optional(),
  confidence: z.number().min(0).max(1).default(0.8),
  /** Built-in rules use 30–100; specific credentials 90. */
  priority: z.number().int().min(0).max(1000).default(70),
});
export type UserRule = z.infer<typeof UserRuleSchema>;

export const UserRuleFileSchema = z.strictObject({ rules: z.array(UserRuleSchema).min(1, "the list is empty") });
export type UserRuleFile = z.infer<typeof UserRuleFileSchema>;

export type UserRulesResult = { ok: true; rules: ScanRule[] } | { ok: false; diagnostics: Diagnostic[] };

/** Parses and compiles a rule file's text; `file` names it in diagnostics. */
export function parseUserRules(text: string, file: string): UserRulesResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) return { ok: false, diagnostics: [{ file, code: "scan_rule_error", message: `YAML: ${syntax.message}` }] };
  const parsed = UserRuleFileSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    return { ok: false, diagnostics: parsed.error.issues.slice(0, 20).map((issue) => ({ file, code: "scan_rule_error", message: `${issuePath(issue.path)}: ${issue.message}` })) };
  }
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const rules: ScanRule[] = [];
  parsed.data.rules.forEach((rule, index) => {
    const at = (field: string, message: string) => diagnostics.push({ file, code: "scan_rule_error", message: `rules[${index}].${field}: ${message}` });
    if (seen.has(rule.id)) at("id", `duplicate rule id ${JSON.stringify(rule.id)}`);
    seen.add(rule.id);
    const problem = linearRegexProblem(rule.regex);
    if (problem) return at("regex", problem);
    rules.push(compileUserRule(rule));
  });
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, rules };
}

export function compileUserRule(rule: UserRule): ScanRule {
  return {
    id: rule.id,
    type: rule.type,
    category: rule.category,
    pattern: new RegExp(rule.regex, rule.case_insensitive ? "gi" : "g"),
    ...(rule.keywords ? { keywords: rule.keywords.map((k) => k.toLowerCase()), keywordWindow: rule.keyword_window } : {}),
    ...(rule.min_entropy === undefined ? {} : { minEntropy: rule.min_entropy }),
    validators: [(c) => !isPlaceholder(c.value)],
    confidence: rule.confidence,
    priority: rule.priority,
  };
}

/** Built-in rules plus operator rules; an operator rule with a built-in's id replaces it. */
export function mergeRules(builtin: readonly ScanRule[], user: readonly ScanRule[]): ScanRule[] {
  const ids = new Set(user.map((r) => r.id));
  return [...builtin.filter((r) => !ids.has(r.id)), ...user];
}
