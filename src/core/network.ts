/**
 * @module Hosts a tool call would reach, as plain host lists: the older
 * interface over the egress extractor (./egress.ts), kept for callers that
 * compare hosts only. New callers use extractEgressTargets and checkEgress,
 * which also see schemes (file:, gopher: …) that name no host.
 */
import { extractEgressTargets, hostAllowed, urlTarget } from "./egress.js";

export { hostAllowed };

/** The normalised host of a URL (IP literals canonical, no brackets), or undefined when it names none. */
export function hostOfUrl(text: string): string | undefined {
  return urlTarget(text)?.host || undefined;
}

/**
 * Every host named by the arguments, sorted, without duplicates. IP
 * literals are given canonically, IPv4-mapped IPv6 as the IPv4 address.
 */
export function hostsInArguments(args: unknown): string[] {
  const hosts = new Set<string>();
  for (const t of extractEgressTargets(args)) if (t.host !== "") hosts.add(t.ip ?? t.host);
  return [...hosts].sort();
}

export function hostsOffList(hosts: readonly string[], allowlist: readonly string[]): string[] {
  return hosts.filter((host) => !hostAllowed(host, allowlist));
}
