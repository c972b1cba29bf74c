/** @module The PolicyEngine role: decide an envelope under one bundle. */
import type { CatalogDecision } from "../core/catalog-decision.js";
import type { BundleRef, Decision } from "../core/decision.js";
import type { Envelope } from "../core/envelope.js";
import type { OutputDecision, OutputPolicyInput } from "../core/output-decision.js";

export const DECISION_ENTRYPOINT = "mcpgov/decision/result";

/** What happens to a tool's output given the scanner's findings (PASS, REDACT, QUARANTINE). */
export const OUTPUT_ENTRYPOINT = "mcpgov/output/result";

/** Whether a tool, prompt or resource definition is offered to clients (PASS, FLAG, HIDE). */
export const CATALOG_ENTRYPOINT = "mcpgov/catalog/result";

export interface PolicyEngine {
  /** The bundle every decision of this engine is made under. */
  readonly bundle: BundleRef;
  /**
   * Decides one envelope. Never throws: anything that keeps the policy from
   * deciding is a DENY whose reason says what happened.
   */
  decide(envelope: unknown): Decision;
  /**
   * Decides an envelope that already passed EnvelopeSchema (built by
   * buildEnvelope, or validated by the caller), skipping a second validation
   * on the hot path. Never throws either.
   */
  decideValid(envelope: Envelope): Decision;
  /**
   * Decides what happens to a tool's output from its scan findings
   * (PASS / REDACT / QUARANTINE). Never throws: a policy that cannot decide
   * quarantines.
   */
  decideOutput(input: unknown): OutputDecision;
  /**
   * Decides an output policy input that the caller built itself with
   * buildOutputInput (typed, from the scanner's findings and a validated
   * envelope), skipping a second validation on the hot path. Never throws.
   */
  decideOutputValid(input: OutputPolicyInput): OutputDecision;
  /**
   * Decides whether a definition is offered to clients from its scan
   * findings (see CatalogPolicyInputSchema). Never throws: any error hides.
   * A bundle without the catalog entrypoint (built before it existed)
   * hides definitions with findings and passes the others.
   */
  decideCatalog(input: unknown): CatalogDecision;
}

/**
 * The gateway's role: the decisions a call waits for, as promises, made
 * where an evaluation that runs long cannot block the caller's thread and
 * is stopped at a deadline. Never rejects: a stopped or failed evaluation
 * is a fail-closed DENY (QUARANTINE for output) that says what happened.
 */
export interface AsyncPolicyEngine {
  readonly bundle: BundleRef;
  decideValid(envelope: Envelope): Promise<Decision>;
  decideOutputValid(input: OutputPolicyInput): Promise<OutputDecision>;
  /** As PolicyEngine.decideCatalog (a failure or the deadline hides). */
  decideCatalog(input: unknown): Promise<CatalogDecision>;
}
