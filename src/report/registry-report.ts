/** @module Prints the results of `mcpgov registry pin|check|list` for people (pretty) or programs (json). */
import type { RegistryEntry } from "../core/gateway-config.js";
import type { CheckedServer, PinnedServer } from "../gateway/pin-servers.js";
import type { ServerPins } from "../gateway/pins.js";

export type RegistryFormat = "pretty" | "json";

export function formatPins(results: readonly PinnedServer[], lockPath: string, format: RegistryFormat): string {
  if (format === "json") return JSON.stringify({ lock_file: lockPath, servers: results }, null, 2);
  const out: string[] = [];
  for (const result of results) {
    out.push(`${result.id} (${result.server.name} ${result.server.version}): ${plural(result.tools.length, "tool")} pinned`);
    const width = Math.max(0, ...result.tools.map((t) => t.name.length));
    for (const tool of result.tools) out.push(`  ${tool.status.padEnd(9)} ${tool.name.padEnd(width)}  ${tool.hash}`);
    for (const name of result.removed) out.push(`  ${"removed".padEnd(9)} ${name}`);
  }
  out.push(`lock file: ${lockPath}`);
  return out.join("\n");
}

export function formatChecks(results: readonly CheckedServer[], format: RegistryFormat): string {
  if (format === "json") {
    return JSON.stringify(
      {
        drift: results.some(hasDrift),
        servers: results.map((r) => ({
          id: r.id,
          server: r.server,
          pinned: r.pinned,
          allowed: r.check.allowed.map((t) => t.name),
          violations: r.check.violations,
          missing: r.check.missing,
        })),
      },
      null,
      2,
    );
  }
  const out: string[] = [];
  for (const result of results) {
    const { allowed, violations, missing } = result.check;
    if (!hasDrift(result)) {
      out.push(`${result.id}: ok, ${plural(allowed.length, "tool")} match their pins`);
      continue;
    }
    const counts = (["changed", "unpinned", "duplicate"] as const)
      .map((kind) => [kind, violations.filter((v) => v.kind === kind).length] as const)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`);
    if (missing.length > 0) counts.push(`${missing.length} removed`);
    const note = result.pinned ? "" : " (server never pinned: run `mcpgov registry pin`)";
    out.push(`${result.id}: DRIFT, ${counts.join(", ")}; ${plural(allowed.length, "tool")} allowed${note}`);
    const width = Math.max(0, ...violations.map((v) => v.tool.length), ...missing.map((m) => m.length));
    for (const v of violations) {
      const detail = v.expected ? `pinned ${v.expected}, now ${v.actual}` : `now ${v.actual}`;
      out.push(`  ${v.kind.padEnd(9)} ${v.tool.padEnd(width)}  ${detail} (hidden from clients)`);
    }
    for (const name of missing) out.push(`  ${"removed".padEnd(9)} ${name.padEnd(width)}  pinned but no longer listed`);
  }
  return out.join("\n");
}

export function formatRegistry(entries: readonly RegistryEntry[], pins: Readonly<Record<string, ServerPins>>, format: RegistryFormat): string {
  if (format === "json") {
    return JSON.stringify(
      entries.map((e) => ({
        id: e.id,
        transport: e.transport.type,
        trusted: e.trusted,
        environment: e.environment ?? null,
        risk_tags: e.risk_tags,
        classified_tools: Object.keys(e.tools).length,
        pinned_tools: Object.hasOwn(pins, e.id) ? Object.keys(pins[e.id]!.tools).length : 0,
        pinned_at: Object.hasOwn(pins, e.id) ? pins[e.id]!.pinned_at : null,
      })),
      null,
      2,
    );
  }
  if (entries.length === 0) return "no servers registered";
  return entries
    .map((e) => {
      const pinned = Object.hasOwn(pins, e.id) ? `${plural(Object.keys(pins[e.id]!.tools).length, "tool")} pinned ${pins[e.id]!.pinned_at}` : "not pinned";
      const tags = e.risk_tags.length > 0 ? ` [${e.risk_tags.join(", ")}]` : "";
      const lines = [`${e.id}${tags}  ${e.transport.type}${e.trusted ? ", trusted" : ""}${e.environment ? `, ${e.environment}` : ""}; ${pinned}`];
      if (e.description) lines.push(`  ${e.description}`);
      const classified = Object.entries(e.tools).map(([name, c]) => `${name}=${c.action}`);
      if (classified.length > 0) lines.push(`  tools: ${classified.join(", ")}`);
      return lines.join("\n");
    })
    .join("\n");
}

export function hasDrift(result: CheckedServer): boolean {
  return result.check.violations.length > 0 || result.check.missing.length > 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
