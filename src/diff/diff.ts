/**
 * @module Policy diff aggregation: pairs of decisions (base bundle, head
 * bundle) for the same envelope, folded into counts of transitions. Pure:
 * no I/O, no engine; the runner feeds it.
 */
import { canonicalJson } from "../core/canonical.js";
import type { BundleRef, Constraints, Decision, DecisionKind } from "../core/decision.js";
import { RESTRICTIVENESS } from "../core/decision.js";

/** The parts of a decision whose change makes a decision "changed". */
export type Aspect = "decision" | "rules" | "constraints";
export const ASPECTS: readonly Aspect[] = ["decision", "rules", "constraints"];

/** Where an envelope came from: its file and 1-based line. */
export interface LineRef {
  file: string;
  line: number;
}

/** An example envelope, named by its metadata only: tool arguments never leave the corpus. */
export interface DiffExample extends LineRef {
  call_id: string;
  server: string;
  tool: string;
  action: string;
}

export interface RuleListCount {
  rules: string[];
  count: number;
}

/** One constraint key that changed; an absent `before`/`after` means the key was unset. */
export interface ConstraintChange {
  key: string;
  before?: unknown;
  after?: unknown;
  count: number;
}

export interface Transition {
  from: DecisionKind;
  to: DecisionKind;
  count: number;
  /** How many envelopes of this transition changed in each aspect. */
  changed: Record<Aspect, number>;
  rules: { base: RuleListCount[]; head: RuleListCount[] };
  constraints: ConstraintChange[];
  /** Constraint changes past the per-transition limit, counted but not listed. */
  constraints_omitted: number;
  examples: DiffExample[];
}

export interface BundleSide extends BundleRef {
  /** What the user named: a bundle file, or a policy folder built for the diff. */
  source: string;
  built: boolean;
}

export interface SkippedLine extends LineRef {
  message: string;
}

/** An envelope the head bundle's WASM and OPA's topdown (on the head policy) decided differently. */
export interface ParityExample extends DiffExample {
  /** The decision fields that differ (decision, rules, matched, constraints, reason, fail_closed). */
  fields: string[];
  wasm: { decision: DecisionKind; rules: string[] };
  topdown: { decision: DecisionKind; rules: string[] };
}

/** With `--parity`: the head policy decided on both evaluators. A class of its own, apart from transitions. */
export interface ParityReport {
  checked: number;
  disagreements: number;
  examples: ParityExample[];
}

export interface DiffReport {
  version: "v1";
  parity?: ParityReport;
  base: BundleSide;
  head: BundleSide;
  envelopes: number;
  unchanged: number;
  changed: number;
  skipped: number;
  /** The first skipped lines, to fix the corpus by. */
  skipped_lines: SkippedLine[];
  totals: { base: Record<DecisionKind, number>; head: Record<DecisionKind, number> };
  transitions: Transition[];
}

export interface DiffLimits {
  /** Examples kept per transition. */
  examples: number;
  /** Distinct constraint changes listed per transition. */
  constraintChanges?: number;
  /** Skipped lines listed in the report. */
  skippedLines?: number;
}

const ABSENT = "\u0000absent";

/** Code-unit order: the same on every machine, unlike localeCompare. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A readable name for a transition, e.g. `ALLOW → DENY` or `ALLOW_WITH_CONSTRAINTS (constraints changed)`. */
export function transitionLabel(t: Pick<Transition, "from" | "to" | "changed">): string {
  if (t.from !== t.to) return `${t.from} → ${t.to}`;
  const aspects = ASPECTS.filter((a) => t.changed[a] > 0);
  return `${t.from} (${aspects.join(" and ")} changed)`;
}

const DECISION = 1;
const RULES = 2;
const CONSTRAINTS = 4;
const KIND_INDEX: Record<DecisionKind, number> = { ALLOW: 0, ALLOW_WITH_CONSTRAINTS: 1, REQUIRE_APPROVAL: 2, DENY: 3 };

/** Most decisions carry no constraints; they skip the serialiser. */
function constraintsJson(constraints: Constraints): string {
  for (const _key in constraints) return JSON.stringify(constraints);
  return "{}";
}

/**
 * Bit mask of what differs. Equal serialisations mean equal constraints;
 * unequal ones may differ only in key order, which the canonical form
 * settles. The cheap test decides nearly every pair of a large corpus.
 */
function changeMask(base: Decision, head: Decision, baseJson: string, headJson: string, differ = constraintsDiffer): number {
  let mask = base.decision === head.decision ? 0 : DECISION;
  if (!sameList(base.rules, head.rules)) mask |= RULES;
  if (baseJson !== headJson && differ(base.constraints, head.constraints, baseJson, headJson)) mask |= CONSTRAINTS;
  return mask;
}

type ConstraintsDiffer = (a: Constraints, b: Constraints, aJson: string, bJson: string) => boolean;

const constraintsDiffer: ConstraintsDiffer = (a, b) => canonicalJson(a) !== canonicalJson(b);

/** The canonical comparison, remembered per pair of serialisations (bounded): a corpus repeats few pairs. */
function rememberingDiffer(limit = 1000): ConstraintsDiffer {
  const seen = new Map<string, boolean>();
  return (a, b, aJson, bJson) => {
    const key = `${aJson}\u0000${bJson}`;
    let differ = seen.get(key);
    if (differ === undefined) {
      differ = constraintsDiffer(a, b, aJson, bJson);
      if (seen.size < limit) seen.set(key, differ);
    }
    return differ;
  };
}

/** Which aspects differ between two decisions; empty when the decision is unchanged. */
export function changedAspects(base: Decision, head: Decision): Aspect[] {
  const mask = changeMask(base, head, constraintsJson(base.constraints), constraintsJson(head.constraints));
  return ASPECTS.filter((_, i) => mask & (1 << i));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function kindCounts(): Record<DecisionKind, number> {
  return Object.fromEntries(RESTRICTIVENESS.map((k) => [k, 0])) as Record<DecisionKind, number>;
}

/** Reads an example's metadata from an envelope that the engine accepted. */
export function exampleOf(envelope: unknown, where: LineRef): DiffExample {
  const e = envelope as { call?: { id?: unknown; server?: unknown; tool?: unknown }; labels?: Record<string, unknown> };
  return {
    call_id: String(e.call?.id ?? ""),
    server: String(e.call?.server ?? ""),
    tool: String(e.call?.tool ?? ""),
    action: String(e.labels?.["mcp.action"] ?? ""),
    file: where.file,
    line: where.line,
  };
}

class TransitionTally {
  count = 0;
  readonly changed: Record<Aspect, number> = { decision: 0, rules: 0, constraints: 0 };
  readonly baseRules = new Map<string, RuleListCount>();
  readonly headRules = new Map<string, RuleListCount>();
  readonly constraintChanges = new Map<string, ConstraintChange>();
  /** Per pair of serialised constraints, the entries it counts towards: a corpus repeats few pairs. */
  readonly constraintPairs = new Map<string, { entries: ConstraintChange[]; omitted: number }>();
  constraintsOmitted = 0;
  readonly examples: DiffExample[] = [];

  constructor(
    readonly from: DecisionKind,
    readonly to: DecisionKind,
  ) {}

  toTransition(): Transition {
    return {
      from: this.from,
      to: this.to,
      count: this.count,
      changed: { ...this.changed },
      rules: { base: byCount(this.baseRules), head: byCount(this.headRules) },
      constraints: [...this.constraintChanges.values()].sort((a, b) => compareText(a.key, b.key) || b.count - a.count),
      constraints_omitted: this.constraintsOmitted,
      examples: [...this.examples],
    };
  }
}

function byCount(map: Map<string, RuleListCount>): RuleListCount[] {
  return [...map.values()].sort((a, b) => b.count - a.count || compareText(a.rules.join(","), b.rules.join(",")));
}

function tallyRules(map: Map<string, RuleListCount>, rules: string[]): void {
  const key = rules.length === 1 ? rules[0]! : rules.join("\n");
  const entry = map.get(key);
  if (entry) entry.count++;
  else map.set(key, { rules: [...rules], count: 1 });
}

/**
 * Folds decision pairs into a DiffReport. Decisions whose kind is unchanged
 * but whose rules or constraints differ are grouped by which aspects
 * changed, so "constraints changed" and "rules changed" read apart.
 */
export class DiffAccumulator {
  private envelopes = 0;
  private unchanged = 0;
  private skipped = 0;
  private readonly skippedLines: SkippedLine[] = [];
  private readonly totals = { base: kindCounts(), head: kindCounts() };
  private readonly tallies = new Map<number, TransitionTally>();
  private readonly limits: Required<DiffLimits>;
  private readonly differ = rememberingDiffer();

  constructor(limits: DiffLimits) {
    this.limits = { constraintChanges: 25, skippedLines: 20, ...limits };
  }

  /** Adds one envelope's decisions; `envelope` is read only when it becomes an example. */
  add(base: Decision, head: Decision, envelope: unknown, where: LineRef): void {
    this.addPair(base, head, () => exampleOf(envelope, where));
  }

  /** As add, for a caller that makes the example only if one is kept (the parallel diff parses the line again). */
  addPair(base: Decision, head: Decision, example: () => DiffExample): void {
    this.envelopes++;
    this.totals.base[base.decision]++;
    this.totals.head[head.decision]++;
    const baseJson = constraintsJson(base.constraints);
    const headJson = constraintsJson(head.constraints);
    const mask = changeMask(base, head, baseJson, headJson, this.differ);
    if (mask === 0) {
      this.unchanged++;
      return;
    }
    // Kind changes group by kinds alone; same-kind changes also by what changed.
    const id = (KIND_INDEX[base.decision] * 4 + KIND_INDEX[head.decision]) * 8 + (mask & DECISION ? 0 : mask);
    let tally = this.tallies.get(id);
    if (!tally) {
      tally = new TransitionTally(base.decision, head.decision);
      this.tallies.set(id, tally);
    }
    tally.count++;
    if (mask & DECISION) tally.changed.decision++;
    if (mask & RULES) tally.changed.rules++;
    tallyRules(tally.baseRules, base.rules);
    tallyRules(tally.headRules, head.rules);
    if (mask & CONSTRAINTS) {
      tally.changed.constraints++;
      this.tallyConstraints(tally, base.constraints, head.constraints, `${baseJson}\u0000${headJson}`);
    }
    if (tally.examples.length < this.limits.examples) tally.examples.push(example());
  }

  /** Counts a line that could not be decided (not JSON, or not an envelope). */
  skip(line: SkippedLine): void {
    this.skipped++;
    if (this.skippedLines.length < this.limits.skippedLines) this.skippedLines.push(line);
  }

  private tallyConstraints(tally: TransitionTally, before: Constraints, after: Constraints, pairKey: string): void {
    let pair = tally.constraintPairs.get(pairKey);
    if (!pair) {
      pair = this.constraintEntries(tally, before, after);
      if (tally.constraintPairs.size < 1000) tally.constraintPairs.set(pairKey, pair);
    }
    for (const entry of pair.entries) entry.count++;
    tally.constraintsOmitted += pair.omitted;
  }

  /** The per-key changes between two constraint sets, as entries of the tally (created at count 0). */
  private constraintEntries(tally: TransitionTally, beforeSet: Constraints, afterSet: Constraints): { entries: ConstraintChange[]; omitted: number } {
    const before = beforeSet as Record<string, unknown>;
    const after = afterSet as Record<string, unknown>;
    const entries: ConstraintChange[] = [];
    let omitted = 0;
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const b = key in before ? canonicalJson(before[key]) : ABSENT;
      const a = key in after ? canonicalJson(after[key]) : ABSENT;
      if (a === b) continue;
      const id = `${key}\n${b}\n${a}`;
      let entry = tally.constraintChanges.get(id);
      if (!entry && tally.constraintChanges.size < this.limits.constraintChanges) {
        entry = { key, ...(b === ABSENT ? {} : { before: before[key] }), ...(a === ABSENT ? {} : { after: after[key] }), count: 0 };
        tally.constraintChanges.set(id, entry);
      }
      if (entry) entries.push(entry);
      else omitted++;
    }
    return { entries, omitted };
  }

  private parityReport: ParityReport | undefined;

  /** Counts one envelope decided on head's WASM and on topdown; `fields` empty means they agreed. */
  parity(example: DiffExample, fields: string[], wasm: Decision, topdown: Decision): void {
    this.parityReport ??= { checked: 0, disagreements: 0, examples: [] };
    this.parityReport.checked++;
    if (fields.length === 0) return;
    this.parityReport.disagreements++;
    if (this.parityReport.examples.length < Math.max(this.limits.examples, 1)) {
      this.parityReport.examples.push({
        ...example,
        fields,
        wasm: { decision: wasm.decision, rules: [...wasm.rules] },
        topdown: { decision: topdown.decision, rules: [...topdown.rules] },
      });
    }
  }

  report(base: BundleSide, head: BundleSide): DiffReport {
    const transitions = [...this.tallies.values()]
      .map((t) => t.toTransition())
      .sort((a, b) => b.count - a.count || compareText(transitionLabel(a), transitionLabel(b)));
    return {
      version: "v1",
      base,
      head,
      envelopes: this.envelopes,
      unchanged: this.unchanged,
      changed: this.envelopes - this.unchanged,
      skipped: this.skipped,
      skipped_lines: [...this.skippedLines],
      totals: { base: { ...this.totals.base }, head: { ...this.totals.head } },
      transitions,
      ...(this.parityReport ? { parity: { ...this.parityReport, examples: [...this.parityReport.examples] } } : {}),
    };
  }
}
