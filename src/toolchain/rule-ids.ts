/**
 * @module Rule ids must be unique across a policy folder, YAML and Rego
 * alike: a decision names the rules that made it, and two rules with one
 * name would make that evidence ambiguous. No I/O.
 *
 * Rego rule ids are computed at evaluation time, so they cannot be listed
 * exactly before a build. By convention a rule passes its id as a string
 * literal to the data.mcpgov.lib.result helpers; a YAML rule id that appears
 * as a string literal in the folder's Rego is therefore reported as taken.
 */
import type { Diagnostic } from "../core/errors.js";
import { type RuleIdSite, YAML_RULE_ERROR } from "./yaml-rule-file.js";

export interface RegoSource {
  /** The name diagnostics use for this file. */
  file: string;
  text: string;
}

export interface RegoString {
  value: string;
  line: number;
}

/** Duplicates among the YAML ids (later ones reported) and YAML ids that Rego also uses. */
export function duplicateRuleIds(yamlIds: readonly RuleIdSite[], rego: readonly RegoSource[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const first = new Map<string, RuleIdSite>();
  const report = (site: RuleIdSite, message: string): void => {
    diagnostics.push({ file: site.file, line: site.line, column: site.column, code: YAML_RULE_ERROR, message: `${site.field}: ${message}` });
  };
  for (const site of yamlIds) {
    const earlier = first.get(site.id);
    if (earlier) report(site, `duplicate rule id ${JSON.stringify(site.id)}; ${earlier.file}:${earlier.line} defines it too`);
    else first.set(site.id, site);
  }
  for (const source of rego) {
    for (const literal of regoStrings(source.text)) {
      const site = first.get(literal.value);
      if (!site) continue;
      report(site, `duplicate rule id ${JSON.stringify(site.id)}; the Rego rule at ${source.file}:${literal.line} uses it too`);
      first.delete(literal.value);
    }
  }
  return diagnostics;
}

/** The string literals of a Rego module ("…" and `…`), outside comments. */
export function regoStrings(text: string): RegoString[] {
  const found: RegoString[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === "\n") {
      line++;
      i++;
    } else if (char === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (char === "`") {
      const end = text.indexOf("`", i + 1);
      const stop = end === -1 ? text.length : end;
      const value = text.slice(i + 1, stop);
      found.push({ value, line });
      line += value.split("\n").length - 1;
      i = stop + 1;
    } else if (char === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      const value = decodeString(text.slice(i, j + 1));
      if (value !== undefined) found.push({ value, line });
      i = j + 1;
    } else {
      i++;
    }
  }
  return found;
}

/** Rego's quoted strings use JSON's escapes; anything else is not a literal we can name. */
function decodeString(quoted: string): string | undefined {
  try {
    const value: unknown = JSON.parse(quoted);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
