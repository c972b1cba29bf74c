/** @module `mcpgov gates` reports: one line per gate for people, or JSON for pipelines. */
import type { GateResult, GatesVerdict } from "../core/gates.js";

function show(value: number, unit: GateResult["unit"]): string {
  if (unit === "seconds") return `${Number(value.toPrecision(3))} s`;
  if (unit === "ratio") return `${Number((value * 100).toPrecision(3))}%`;
  return String(value);
}

export function formatGatesPretty(verdict: GatesVerdict, source: string): string {
  const blocking = verdict.results.filter((r) => r.blocks).length;
  const lines = [`mcpgov gates (${source}): ${verdict.blocked ? `BLOCK (${blocking} of ${verdict.results.length} gates)` : `PASS (${verdict.results.length} gates)`}`];
  const width = Math.max(...verdict.results.map((r) => r.id.length));
  for (const r of verdict.results) {
    const status = r.status === "missing" ? (r.blocks ? "MISSING" : "MISSING (allowed)") : r.status.toUpperCase();
    const measured = r.value === undefined ? "no data" : show(r.value, r.unit);
    lines.push(`  ${status.padEnd(7)} ${r.id.padEnd(width)}  ${measured}  (block above ${show(r.block_above, r.unit)}, target ${show(r.target, r.unit)}; owner ${r.owner})${r.note ? ` — ${r.note}` : ""}`);
  }
  return lines.join("\n");
}

export function formatGatesJson(verdict: GatesVerdict, source: string): string {
  return JSON.stringify({ source, blocked: verdict.blocked, results: verdict.results }, null, 2);
}
