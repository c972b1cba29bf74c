/** @module Renders a policy diff for a terminal: summary, decision totals, then each transition. */
import { RESTRICTIVENESS } from "../core/decision.js";
import { type BundleSide, type ConstraintChange, type DiffReport, type RuleListCount, type Transition, transitionLabel, ASPECTS } from "../diff/diff.js";
import type { GateHit } from "../diff/fail-on.js";

/** What a `--fail-on` gate saw; reporters show it, the CLI turns it into the exit code. */
export interface DiffGate {
  patterns: string[];
  hits: GateHit[];
}

/** A constraint value in one short line; an absent key reads as "(unset)". */
export function constraintValue(value: unknown, present: boolean): string {
  if (!present) return "(unset)";
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function constraintChangeText(c: ConstraintChange): string {
  return `${c.key}: ${constraintValue(c.before, "before" in c)} → ${constraintValue(c.after, "after" in c)}`;
}

export function sideText(side: BundleSide): string {
  const revision = side.revision ? `revision ${side.revision}, ` : "";
  return `${side.hash}  (${revision}${side.built ? `built from ${side.source}` : side.source})`;
}

export function aspectsText(t: Transition): string {
  return ASPECTS.filter((a) => t.changed[a] > 0)
    .map((a) => (t.changed[a] === t.count ? a : `${a} ${t.changed[a]}`))
    .join(", ");
}

export const signed = (n: number): string => (n > 0 ? `+${n}` : n === 0 ? "0" : String(n));

function ruleLines(label: string, lists: RuleListCount[]): string[] {
  return lists.map((r, i) => `    ${i === 0 ? label : " ".repeat(label.length)}  ${String(r.count).padStart(7)}  ${r.rules.join(", ")}`);
}

function transitionLines(t: Transition): string[] {
  const lines = [``, `${transitionLabel(t)}: ${t.count}   (changed: ${aspectsText(t)})`];
  lines.push(...ruleLines("rules before", t.rules.base), ...ruleLines("rules after ", t.rules.head));
  if (t.constraints.length > 0) {
    lines.push(`    constraints`);
    for (const c of t.constraints) lines.push(`                  ${String(c.count).padStart(7)}  ${constraintChangeText(c)}`);
    if (t.constraints_omitted > 0) lines.push(`                  ${String(t.constraints_omitted).padStart(7)}  (more changes not listed)`);
  }
  if (t.examples.length > 0) {
    lines.push(`    examples`);
    for (const e of t.examples) lines.push(`      ${e.call_id}  ${e.server}/${e.tool} (${e.action})  ${e.file}:${e.line}`);
  }
  return lines;
}

export function formatDiffPretty(report: DiffReport, gate?: DiffGate): string {
  const lines = [
    `mcpgov diff`,
    `  base  ${sideText(report.base)}`,
    `  head  ${sideText(report.head)}`,
    ``,
    `envelopes  ${report.envelopes}${report.skipped > 0 ? `  (${report.skipped} ${report.skipped === 1 ? "line" : "lines"} skipped)` : ""}`,
    `unchanged  ${report.unchanged}`,
    `changed    ${report.changed}`,
    ``,
    `${"decision".padEnd(24)} ${"base".padStart(8)} ${"head".padStart(8)} ${"change".padStart(8)}`,
  ];
  for (const kind of RESTRICTIVENESS) {
    const b = report.totals.base[kind];
    const h = report.totals.head[kind];
    lines.push(`${kind.padEnd(24)} ${String(b).padStart(8)} ${String(h).padStart(8)} ${signed(h - b).padStart(8)}`);
  }
  if (report.transitions.length === 0) lines.push(``, `no decision changed`);
  for (const t of report.transitions) lines.push(...transitionLines(t));
  if (report.skipped_lines.length > 0) {
    lines.push(``, `skipped lines${report.skipped > report.skipped_lines.length ? ` (first ${report.skipped_lines.length} of ${report.skipped})` : ""}`);
    for (const s of report.skipped_lines) lines.push(`  ${s.file}:${s.line}: ${s.message}`);
  }
  if (report.parity) {
    const p = report.parity;
    lines.push(``, `parity (head bundle's WASM vs OPA topdown on the head policy): ${p.checked} checked, ${p.disagreements} disagreed`);
    for (const e of p.examples) {
      lines.push(`  ${e.file}:${e.line} ${e.call_id} ${e.server}/${e.tool}: ${e.fields.join(", ")} differ; wasm ${e.wasm.decision} [${e.wasm.rules.join(", ")}], opa ${e.topdown.decision} [${e.topdown.rules.join(", ")}]`);
    }
  }
  if (gate && gate.patterns.length > 0) {
    lines.push(``, gate.hits.length === 0 ? `fail-on ${gate.patterns.join(" ")}: no matching transition` : `fail-on matched:`);
    for (const hit of gate.hits) lines.push(`  ${hit.pattern}: ${hit.transition} (${hit.count})`);
  }
  return lines.join("\n");
}
