/**
 * @module One corpus line's envelope, as both diff paths read it: JSON
 * parsed, validated and a v1 envelope upgraded once for both bundles, or
 * the reason the line is a bad line.
 */
import { type Envelope, parseAnyEnvelope } from "../core/envelope.js";
import { egressOfArguments } from "../core/egress-of.js";
import { describeIssues } from "../core/issues.js";

/**
 * An invalid envelope would be a DENY on each side and read as
 * "unchanged", hiding a broken corpus; it is a bad line instead.
 */
export function lineEnvelope(value: unknown): { envelope: Envelope } | { message: string } {
  const parsed = parseAnyEnvelope(value, egressOfArguments);
  if (!parsed.success) return { message: `not a v1 or v2 envelope: ${describeIssues(parsed.error)}` };
  return { envelope: parsed.data };
}
