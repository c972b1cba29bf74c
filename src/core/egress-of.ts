/** @module The one extractor every envelope builder and upgrader uses for `call.egress`. */
import type { EgressTarget } from "./envelope.js";
import { hostsInArguments } from "./network.js";

// TODO(merge-netscope): point at extractEgressTargets from ./egress.js.
export function egressOfArguments(args: Record<string, unknown>): EgressTarget[] {
  return hostsInArguments(args).map((host) => ({ path: "$", scheme: "http", host }));
}
