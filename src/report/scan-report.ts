/** @module Prints output-scan findings for people (pretty) or tools (json); values never appear, only masked previews. */
import type { OutputDecision } from "../core/output-decision.js";
import type { Finding, FindingLocation } from "../output/finding.js";

/** What the output policy of a bundle decided; the bundle ref is left out of reports. */
export type ScanVerdict = Pick<OutputDecision, "decision" | "rules" | "reason" | "redact_types" | "fail_closed">;

export interface ScanReport {
  source: string;
  findings: readonly Finding[];
  /** Set when the scan failed: the output is not known to be clean. */
  error?: string;
  /** Set when a bundle's output policy judged the findings (`scan --bundle`). */
  verdict?: ScanVerdict;
}

export function formatVerdict(verdict: ScanVerdict): string {
  const redact = verdict.decision === "REDACT" && verdict.redact_types.length > 0 ? ` [redact: ${verdict.redact_types.join(", ")}]` : "";
  return `verdict: ${verdict.decision} (${verdict.rules.join(", ")})${redact}: ${verdict.reason}`;
}

export function summarise(findings: readonly Finding[]): { total: number; byCategory: Record<string, number>; byType: Record<string, number> } {
  const byCategory: Record<string, number> = {};
  const byType: Record<string, number> = {};
  for (const f of findings) {
    byCategory[f.category] = (byCategory[f.category] ?? 0) + 1;
    byType[f.type] = (byType[f.type] ?? 0) + 1;
  }
  return { total: findings.length, byCategory, byType };
}

export function formatLocation(location: FindingLocation): string {
  switch (location.kind) {
    case "text":
      return `offset ${location.offset} length ${location.length}`;
    case "content":
      return `content[${location.index}].${location.field} offset ${location.offset} length ${location.length}`;
    case "json":
      return `${location.pointer || "(root)"} offset ${location.offset} length ${location.length}`;
    case "output":
      return "(whole output)";
  }
}

export function formatScanReport(report: ScanReport, format: "pretty" | "json"): string {
  const summary = summarise(report.findings);
  if (format === "json") {
    return JSON.stringify({ source: report.source, findings: report.findings, summary, ...(report.error ? { error: report.error } : {}), ...(report.verdict ? { verdict: report.verdict } : {}) }, null, 2);
  }
  const lines: string[] = [];
  if (report.error) lines.push(`${report.source}: SCAN FAILED: ${report.error}`);
  else lines.push(`${report.source}: ${report.findings.length === 0 ? "no findings" : `${report.findings.length} finding(s)`}`);
  for (const f of report.findings) {
    lines.push(`  ${f.category.padEnd(6)} ${f.type.padEnd(18)} ${f.confidence.toFixed(2)}  ${formatLocation(f.location)}  ${f.ruleId}${f.preview ? `  ${f.preview}` : ""}`);
  }
  if (report.findings.length > 0) {
    const categories = Object.entries(summary.byCategory).map(([c, n]) => `${n} ${c}`).join(", ");
    const types = Object.entries(summary.byType).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ${n}`).join(", ");
    lines.push(`summary: ${categories} (${types})`);
  }
  if (report.verdict) lines.push(formatVerdict(report.verdict));
  return lines.join("\n");
}
