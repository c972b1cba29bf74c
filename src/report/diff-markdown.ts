/**
 * @module Renders a policy diff as Markdown for a pull-request comment: a
 * summary table, a transitions table, and per-transition details folded
 * into <details>. Every value from the corpus or the policy is escaped, so
 * a tool name cannot inject markup into the comment.
 */
import { RESTRICTIVENESS } from "../core/decision.js";
import { type BundleSide, type DiffReport, type RuleListCount, type Transition, transitionLabel } from "../diff/diff.js";
import { aspectsText, constraintValue, type DiffGate, signed } from "./diff-pretty.js";

const html = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Text safe inside a table cell. */
const cell = (text: string): string => html(text).replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");

/** An inline code span that survives any backticks in the text. */
function code(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ").replace(/\|/g, "\\|");
  const fence = clean.includes("`") ? "``" : "`";
  return `${fence}${fence.length > 1 ? " " : ""}${clean}${fence.length > 1 ? " " : ""}${fence}`;
}

const short = (hash: string): string => hash.replace(/^sha256:/, "").slice(0, 12);

function sideCell(side: BundleSide): string {
  const what = side.built ? `built from ${code(side.source)}` : code(side.source);
  return `${code(short(side.hash))} ${side.revision ? `revision ${code(side.revision)}, ` : ""}${what}`;
}

const rulesCell = (lists: RuleListCount[]): string =>
  lists.map((r) => `${r.rules.map(code).join(", ")}${lists.length > 1 ? ` (${r.count})` : ""}`).join("<br>");

function details(t: Transition): string[] {
  const lines = [`<details><summary>${html(transitionLabel(t))}: ${t.count}</summary>`, ``];
  lines.push(`| rules before | count | rules after | count |`, `| --- | ---: | --- | ---: |`);
  const rows = Math.max(t.rules.base.length, t.rules.head.length);
  for (let i = 0; i < rows; i++) {
    const b = t.rules.base[i];
    const h = t.rules.head[i];
    lines.push(`| ${b ? b.rules.map(code).join(", ") : ""} | ${b?.count ?? ""} | ${h ? h.rules.map(code).join(", ") : ""} | ${h?.count ?? ""} |`);
  }
  if (t.constraints.length > 0) {
    lines.push(``, `| constraint | before | after | count |`, `| --- | --- | --- | ---: |`);
    for (const c of t.constraints) {
      lines.push(`| ${code(c.key)} | ${cell(constraintValue(c.before, "before" in c))} | ${cell(constraintValue(c.after, "after" in c))} | ${c.count} |`);
    }
    if (t.constraints_omitted > 0) lines.push(`| (more) | | | ${t.constraints_omitted} |`);
  }
  if (t.examples.length > 0) {
    lines.push(``, `| example call | server | tool | action | line |`, `| --- | --- | --- | --- | --- |`);
    for (const e of t.examples) {
      lines.push(`| ${code(e.call_id)} | ${code(e.server)} | ${code(e.tool)} | ${cell(e.action)} | ${code(`${e.file}:${e.line}`)} |`);
    }
  }
  lines.push(``, `</details>`);
  return lines;
}

export function formatDiffMarkdown(report: DiffReport, gate?: DiffGate): string {
  const lines = [`### mcpgov policy diff`, ``];
  if (gate && gate.patterns.length > 0) {
    lines.push(
      gate.hits.length > 0
        ? `**Gate failed:** ${gate.hits.map((h) => `${code(h.pattern)} matched ${cell(h.transition)} (${h.count})`).join("; ")}`
        : `Gate passed: no transition matches ${gate.patterns.map(code).join(", ")}.`,
      ``,
    );
  }
  lines.push(
    `| | |`,
    `| --- | --- |`,
    `| base | ${sideCell(report.base)} |`,
    `| head | ${sideCell(report.head)} |`,
    `| envelopes | ${report.envelopes} |`,
    `| unchanged | ${report.unchanged} |`,
    `| changed | ${report.changed} |`,
  );
  if (report.skipped > 0) lines.push(`| skipped lines | ${report.skipped} |`);
  lines.push(``, `| decision | base | head | change |`, `| --- | ---: | ---: | ---: |`);
  for (const kind of RESTRICTIVENESS) {
    const b = report.totals.base[kind];
    const h = report.totals.head[kind];
    lines.push(`| ${kind} | ${b} | ${h} | ${signed(h - b)} |`);
  }
  lines.push(``);
  if (report.transitions.length === 0) {
    lines.push(`No decision changed.`);
    return lines.join("\n");
  }
  lines.push(`#### Transitions`, ``, `| transition | count | changed | rules before | rules after |`, `| --- | ---: | --- | --- | --- |`);
  for (const t of report.transitions) {
    lines.push(`| ${cell(transitionLabel(t))} | ${t.count} | ${cell(aspectsText(t))} | ${rulesCell(t.rules.base)} | ${rulesCell(t.rules.head)} |`);
  }
  lines.push(``);
  for (const t of report.transitions) lines.push(...details(t), ``);
  if (report.skipped_lines.length > 0) {
    lines.push(`<details><summary>skipped lines: ${report.skipped}</summary>`, ``);
    for (const s of report.skipped_lines) lines.push(`- ${code(`${s.file}:${s.line}`)}: ${cell(s.message)}`);
    lines.push(``, `</details>`);
  }
  if (report.parity) {
    const p = report.parity;
    lines.push(`#### Parity (head bundle's WASM vs OPA topdown)`, ``, `${p.checked} checked, **${p.disagreements} disagreed**`, ``);
    for (const e of p.examples) {
      lines.push(`- ${code(`${e.file}:${e.line}`)} ${code(e.call_id)}: ${cell(e.fields.join(", "))} differ; wasm ${e.wasm.decision}, opa ${e.topdown.decision}`);
    }
  }
  return lines.join("\n").trimEnd();
}
