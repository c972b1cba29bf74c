/**
 * @module Reads the text of one YAML rule file: YAML syntax first, then the
 * schema, each problem reported at the line of the node it is about. No I/O.
 */
import { type Document, LineCounter, parseDocument } from "yaml";
import { locatePath } from "../yaml-locate.js";
import type { z } from "zod";
import type { Diagnostic } from "../core/errors.js";
import { issuePath } from "../core/issues.js";
import { type YamlRuleFile, YamlRuleFileSchema } from "../core/yaml-rules-schema.js";

export const YAML_RULE_ERROR = "yaml_rule_error";

/** Where a rule id is written, for duplicate checks across files. */
export interface RuleIdSite {
  id: string;
  file: string;
  field: string;
  line: number;
  column: number;
}

export type YamlRuleFileResult = { ok: true; rules: YamlRuleFile; ids: RuleIdSite[] } | { ok: false; diagnostics: Diagnostic[] };

interface Position {
  line: number;
  column: number;
}

/** A diagnostic per issue; more than this many are summarised in one. */
const MAX_ISSUES = 20;

/** `file` is the name diagnostics use for this text. */
export function parseYamlRuleFile(text: string, file: string): YamlRuleFileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const diagnostic = (where: Position, message: string): Diagnostic => ({ file, ...where, code: YAML_RULE_ERROR, message });

  // Warnings too (an unresolved tag, say): a rule file that YAML tools read
  // differently is not one to govern with. Only the first: one broken line
  // makes the parser report errors on the lines after it as well.
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax) return { ok: false, diagnostics: [diagnostic(at(syntax.pos[0]), `YAML: ${syntax.message}`)] };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (thrown) {
    return { ok: false, diagnostics: [diagnostic({ line: 1, column: 1 }, `YAML: ${thrown instanceof Error ? thrown.message : String(thrown)}`)] };
  }

  const parsed = YamlRuleFileSchema.safeParse(value);
  if (!parsed.success) {
    const diagnostics = parsed.error.issues.slice(0, MAX_ISSUES).map((issue) => {
      const { path, offset, message } = placeIssue(doc, issue);
      return diagnostic(at(offset), `${issuePath(path)}: ${message}`);
    });
    const more = parsed.error.issues.length - MAX_ISSUES;
    if (more > 0) diagnostics.push(diagnostic({ line: 1, column: 1 }, `and ${more} more problem(s)`));
    return { ok: false, diagnostics };
  }

  const ids = parsed.data.rules.map((rule, index): RuleIdSite => {
    const path = ["rules", index, "id"];
    return { id: rule.id, file, field: issuePath(path), ...at(locatePath(doc, path, { prefer: "value" }).offset) };
  });
  return { ok: true, rules: parsed.data, ids };
}

/**
 * The path a diagnostic names, the offset of its node and the message. One
 * unknown key is named itself (`match.lables`), at the key's position; a
 * field absent from the file is "missing", whatever type zod expected.
 */
function placeIssue(doc: Document, issue: z.core.$ZodIssue): { path: PropertyKey[]; offset: number; message: string } {
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    const path = issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : issue.path;
    return { path, offset: locatePath(doc, [...issue.path, issue.keys[0]!], { prefer: "value", lastAtKey: true }).offset, message: issue.message };
  }
  const { offset, found } = locatePath(doc, issue.path, { prefer: "value" });
  if (!found && issue.code !== "custom") return { path: issue.path, offset, message: "missing; this field is required" };
  // A record key's own check reports inside `issues`; the outer message says only "Invalid key".
  const message = issue.code === "invalid_key" && issue.issues[0] ? issue.issues[0].message : issue.message;
  return { path: issue.path, offset, message };
}
