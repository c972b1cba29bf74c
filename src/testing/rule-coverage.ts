/**
 * @module Rule coverage: which declared rules no Rego test and no case
 * exercised. Pure: it is handed the rules, the case decisions and OPA's
 * coverage report.
 *
 * A rule is exercised by a case when its id is among the decision's
 * matched rules (or its rules), and by the Rego tests when OPA marks the
 * head of one of its `hits` rules covered, which OPA does only when that
 * rule produced a value during some test.
 */
import type { DeclaredRule } from "../toolchain/rule-inventory.js";
import type { CaseResult, RuleCoverage, RuleCoverageEntry } from "./results.js";
import type { RegoCoverage } from "../toolchain/opa-test.js";

function headCovered(rule: DeclaredRule, coverage: RegoCoverage): boolean {
  return rule.hitsHeads.some((head) =>
    (coverage.files[head.stagedFile]?.covered ?? []).some((range) => range.start.row === head.row && range.start.col === head.col),
  );
}

export function ruleCoverage(
  rules: readonly DeclaredRule[],
  cases: readonly Pick<CaseResult, "actual">[],
  rego: RegoCoverage | { unavailable: string },
  threshold?: number,
): RuleCoverage {
  const byCases = new Set<string>();
  for (const { actual } of cases) {
    for (const id of actual.rules) byCases.add(id);
    for (const hit of actual.matched) byCases.add(hit.rule);
  }
  const entries: RuleCoverageEntry[] = rules.map((rule) => {
    const exercisedBy: RuleCoverageEntry["exercisedBy"] = [];
    if ("files" in rego && headCovered(rule, rego)) exercisedBy.push("rego");
    if (byCases.has(rule.id)) exercisedBy.push("case");
    return { id: rule.id, package: rule.package, file: rule.file, line: rule.line, exercisedBy };
  });
  const exercised = entries.filter((e) => e.exercisedBy.length > 0).length;
  return {
    rules: entries,
    exercised,
    total: entries.length,
    percent: entries.length === 0 ? 100 : (100 * exercised) / entries.length,
    ...(threshold !== undefined ? { threshold } : {}),
    ...("unavailable" in rego ? { regoCoverageUnavailable: rego.unavailable } : {}),
  };
}
