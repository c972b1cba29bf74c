/**
 * @module `--fail-on` transition patterns (`DENY->ALLOW`, `*->ALLOW`,
 * `REQUIRE_APPROVAL→*`): parsed once, before any bundle is built, and
 * matched against a finished diff to gate a rollout.
 */
import { DecisionKindSchema, type DecisionKind } from "../core/decision.js";
import { McpgovError } from "../core/errors.js";
import { type DiffReport, transitionLabel } from "./diff.js";

export interface TransitionPattern {
  /** The pattern as the user wrote it. */
  text: string;
  from: DecisionKind | "*";
  to: DecisionKind | "*";
}

export interface GateHit {
  pattern: string;
  transition: string;
  count: number;
}

const KINDS = DecisionKindSchema.options;

function side(text: string, pattern: string): DecisionKind | "*" {
  const name = text.trim().toUpperCase();
  if (name === "*") return "*";
  if ((KINDS as readonly string[]).includes(name)) return name as DecisionKind;
  throw new McpgovError(
    "usage",
    `--fail-on ${JSON.stringify(pattern)}: unknown decision ${JSON.stringify(text.trim())} (expected one of ${KINDS.join(", ")} or *)`,
  );
}

/** Parses patterns; a value may hold several, separated by commas. Bad ones are usage errors. */
export function parseTransitionPatterns(values: readonly string[]): TransitionPattern[] {
  const patterns: TransitionPattern[] = [];
  for (const value of values) {
    for (const text of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
      const parts = text.split(/->|→/);
      if (parts.length !== 2) {
        throw new McpgovError("usage", `--fail-on ${JSON.stringify(text)}: expected FROM->TO, e.g. DENY->ALLOW or *->ALLOW`);
      }
      patterns.push({ text, from: side(parts[0]!, text), to: side(parts[1]!, text) });
    }
  }
  return patterns;
}

/**
 * Whether a pattern covers a transition. A wildcard matches only a change
 * of decision kind: `*->ALLOW` asks what newly becomes ALLOW, not which
 * ALLOWs now name other rules. Naming one kind on both sides
 * (`ALLOW_WITH_CONSTRAINTS->ALLOW_WITH_CONSTRAINTS`) gates on rule or
 * constraint changes within that kind.
 */
export function patternMatches(pattern: TransitionPattern, from: DecisionKind, to: DecisionKind): boolean {
  if (from === to) return pattern.from === from && pattern.to === to;
  return (pattern.from === "*" || pattern.from === from) && (pattern.to === "*" || pattern.to === to);
}

/** The transitions of a report that the patterns catch, one entry per pattern and transition. */
export function gateHits(report: DiffReport, patterns: readonly TransitionPattern[]): GateHit[] {
  const hits: GateHit[] = [];
  for (const pattern of patterns) {
    for (const t of report.transitions) {
      if (patternMatches(pattern, t.from, t.to)) hits.push({ pattern: pattern.text, transition: transitionLabel(t), count: t.count });
    }
  }
  return hits;
}
