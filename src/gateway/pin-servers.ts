/**
 * @module Pins and checks live servers: connect to each, list its raw
 * tools, and compare with (or record into) the lock. Used by `mcpgov
 * registry`; the gateway runs the same check when it lists tools.
 */
import type { RegistryEntry } from "../core/gateway-config.js";
import type { Logger } from "../logger.js";
import { createUpstream } from "../upstream/create-upstream.js";
import type { Upstream } from "../upstream/upstream.js";
import { checkTools, hashToolDefinition, type LockFile, type PinCheck, pinServer } from "./pins.js";

export interface PinnedServer {
  id: string;
  server: { name: string; version: string };
  tools: Array<{ name: string; hash: string; status: "new" | "changed" | "unchanged" }>;
  /** Tools pinned before that the server no longer lists (dropped from the lock). */
  removed: string[];
}

export interface CheckedServer {
  id: string;
  server: { name: string; version: string };
  pinned: boolean;
  check: PinCheck;
}

export interface LiveOptions {
  env: Record<string, string | undefined>;
  logger?: Logger;
  requestTimeoutMs?: number;
  /** Builds the upstream; tests and the gateway may pass their own. */
  connect?: (entry: RegistryEntry) => Upstream;
}

/** Connects, runs `use`, and always closes: a pin run must not leave children behind. */
async function withUpstream<T>(entry: RegistryEntry, options: LiveOptions, use: (upstream: Upstream) => Promise<T>): Promise<T> {
  const upstream =
    options.connect?.(entry) ??
    createUpstream(entry, {
      env: options.env,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      // A pin run is one-shot: a server that exits is an error to report, not to restart.
      restart: { maxAttempts: 0 },
    });
  try {
    await upstream.connect();
    return await use(upstream);
  } finally {
    await upstream.close();
  }
}

function serverName(upstream: Upstream): { name: string; version: string } {
  return { name: upstream.serverInfo?.name ?? "unknown", version: upstream.serverInfo?.version ?? "unknown" };
}

/** Pins each server's current tools. Returns the new lock (not yet written) and what changed. */
export async function pinServers(
  entries: readonly RegistryEntry[],
  lock: LockFile,
  options: LiveOptions & { now?: () => Date },
): Promise<{ lock: LockFile; results: PinnedServer[] }> {
  let next = lock;
  const results: PinnedServer[] = [];
  for (const entry of entries) {
    const result = await withUpstream(entry, options, async (upstream) => {
      const tools = await upstream.listToolsRaw();
      const server = serverName(upstream);
      const before = Object.hasOwn(next.servers, entry.id) ? next.servers[entry.id]!.tools : {};
      next = pinServer(next, entry.id, tools, { serverVersion: server.version, now: options.now?.() ?? new Date() });
      const listed = new Set(tools.map((t) => t.name));
      return {
        id: entry.id,
        server,
        tools: tools.map((tool) => {
          const hash = hashToolDefinition(tool);
          const old = Object.hasOwn(before, tool.name) ? before[tool.name] : undefined;
          return { name: tool.name, hash, status: old === undefined ? "new" : old === hash ? "unchanged" : "changed" } as const;
        }),
        removed: Object.keys(before)
          .filter((name) => !listed.has(name))
          .sort(),
      };
    });
    results.push(result);
  }
  return { lock: next, results };
}

/** Compares each server's live tools with the lock. */
export async function checkServers(entries: readonly RegistryEntry[], lock: LockFile, options: LiveOptions): Promise<CheckedServer[]> {
  const results: CheckedServer[] = [];
  for (const entry of entries) {
    results.push(
      await withUpstream(entry, options, async (upstream) => ({
        id: entry.id,
        server: serverName(upstream),
        pinned: Object.hasOwn(lock.servers, entry.id),
        check: checkTools(entry.id, await upstream.listToolsRaw(), lock),
      })),
    );
  }
  return results;
}
