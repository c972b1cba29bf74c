/** @module Renders a policy diff as one JSON document, for CI scripts and dashboards. */
import type { DiffReport } from "../diff/diff.js";
import type { DiffGate } from "./diff-pretty.js";

/** The report as is, plus the gate when `--fail-on` was given; `failed` is what the exit code says. */
export function formatDiffJson(report: DiffReport, gate?: DiffGate): string {
  const fail_on = gate && gate.patterns.length > 0 ? { patterns: gate.patterns, matched: gate.hits, failed: gate.hits.length > 0 } : undefined;
  return JSON.stringify(fail_on ? { ...report, fail_on } : report);
}
