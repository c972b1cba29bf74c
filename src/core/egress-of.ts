/** @module The one extractor every envelope builder and upgrader uses for `call.egress`. */
import { type EgressTarget, extractEgressTargets } from "./egress.js";

export function egressOfArguments(args: Record<string, unknown>): EgressTarget[] {
  return extractEgressTargets(args);
}
