/** @module Picks the Upstream implementation for a registry entry's transport. */
import type { RegistryEntry } from "../core/gateway-config.js";
import type { UpstreamOptions } from "./client-upstream.js";
import { HttpUpstream } from "./http-upstream.js";
import { StdioUpstream } from "./stdio-upstream.js";
import type { Upstream } from "./upstream.js";

export function createUpstream(entry: RegistryEntry, options: UpstreamOptions = {}): Upstream {
  return entry.transport.type === "stdio" ? new StdioUpstream(entry, options) : new HttpUpstream(entry, options);
}
