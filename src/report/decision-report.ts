/** @module Renders a decision for people (pretty) or machines (json). */
import type { Constraints, Decision } from "../core/decision.js";

export type DecisionFormat = "pretty" | "json";

export function formatConstraints(constraints: Constraints): string {
  const parts = Object.keys(constraints)
    .sort()
    .map((key) => {
      const value = (constraints as Record<string, unknown>)[key];
      return `${key}=${Array.isArray(value) ? value.join(",") : typeof value === "string" ? value : JSON.stringify(value)}`;
    });
  return parts.length > 0 ? parts.join(" ") : "(none)";
}

export function formatDecision(decision: Decision, format: DecisionFormat): string {
  if (format === "json") return JSON.stringify(decision);
  const lines = [
    `decision     ${decision.decision}`,
    `rules        ${decision.rules.join(", ")}`,
    `reason       ${decision.reason}`,
    `constraints  ${formatConstraints(decision.constraints)}`,
  ];
  if (decision.matched.length > 1) {
    lines.push(`matched      ${decision.matched.map((m) => `${m.rule} (${m.decision})`).join(", ")}`);
  }
  lines.push(`bundle       ${decision.bundle.hash}${decision.bundle.revision ? ` (revision ${decision.bundle.revision})` : ""}`);
  return lines.join("\n");
}
