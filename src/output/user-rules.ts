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
 *     prefilter: [acme_]      # optional: the rule runs only on text containing one of these
 * ```
 *
 * Without `prefilter`, a case-sensitive regex's literal start ("acme_")
 * becomes one (see literalPrefix); otherwise the rule runs on every text.
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
  /** Case-sensitive substrings of which every match contains one; a wrong list hides matches. */
  prefilter: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
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
    ...prefilterOf(rule),
    ...(rule.keywords ? { keywords: rule.keywords.map((k) => k.toLowerCase()), keywordWindow: rule.keyword_window } : {}),
    ...(rule.min_entropy === undefined ? {} : { minEntropy: rule.min_entropy }),
    validators: [(c) => !isPlaceholder(c.value)],
    confidence: rule.confidence,
    priority: rule.priority,
  };
}

function prefilterOf(rule: UserRule): { prefilter?: readonly string[] } {
  if (rule.prefilter) return { prefilter: rule.prefilter };
  const prefix = rule.case_insensitive ? undefined : literalPrefix(rule.regex);
  return prefix === undefined ? {} : { prefilter: [prefix] };
}

/**
 * The literal every match of `source` starts with (after leading
 * lookarounds), if at least two characters long. Conservative: any
 * top-level alternation, escape other than an escaped punctuation
 * character, or construct it does not know ends the prefix or yields none,
 * because a wrong prefix would hide matches.
 */
export function literalPrefix(source: string): string | undefined {
  if (hasTopLevelAlternation(source)) return undefined;
  let i = 0;
  // Leading lookarounds consume nothing: the literal after them starts the match.
  while (source.startsWith("(?<!", i) || source.startsWith("(?<=", i) || source.startsWith("(?!", i) || source.startsWith("(?=", i)) {
    const close = groupEnd(source, i);
    if (close < 0) return undefined;
    i = close + 1;
  }
  let prefix = "";
  while (i < source.length) {
    const ch = source[i]!;
    let literal: string;
    let width: number;
    if (ch === "\\") {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      literal = next;
      width = 2;
    } else if ("^$.|?*+()[]{}".includes(ch)) break;
    else {
      literal = ch;
      width = 1;
    }
    const after = source[i + width];
    // A character that may repeat zero times is not required; one that repeats ends the literal run.
    if (after === "?" || after === "*" || (after === "{" && /^\{0[,}]/.test(source.slice(i + width)))) break;
    prefix += literal;
    if (after === "+" || after === "{") break;
    i += width;
  }
  return prefix.length >= 2 ? prefix : undefined;
}

/** Index of the parenthesis closing the group opened at `open`, or -1. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") i++;
    else if (ch === "[") i = classEnd(source, i);
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}

function classEnd(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
  return i;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") i++;
    else if (ch === "[") i = classEnd(source, i);
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) return true;
  }
  return false;
}

/** Built-in rules plus operator rules; an operator rule with a built-in's id replaces it. */
export function mergeRules(builtin: readonly ScanRule[], user: readonly ScanRule[]): ScanRule[] {
  const ids = new Set(user.map((r) => r.id));
  return [...builtin.filter((r) => !ids.has(r.id)), ...user];
}
