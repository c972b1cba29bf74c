/**
 * @module Pins and checks live servers: connect to each, list its raw
 * tools, and compare with (or record into) the lock. Used by `mcpgov
 * registry`; the gateway runs the same check when it lists tools.
 *
 * Every tool is also judged by the catalog policy, in a registry view that
 * includes the live tools of the servers handled in the same run: FLAGs
 * are reported, and a HIDE is refused unless the operator allowed it.
 */
import type { DefinitionFinding } from "../core/catalog-decision.js";
import type { RegistryEntry } from "../core/gateway-config.js";
import type { RawTool } from "../core/raw-tool.js";
import type { Logger } from "../logger.js";
import { createUpstream } from "../upstream/create-upstream.js";
import type { Upstream } from "../upstream/upstream.js";
import { type CatalogJudge, catalogView, isNoteworthy, judgeDefinition } from "./definition-guard.js";
import { checkTools, hashToolDefinition, type LockFile, type PinCheck, pinServer } from "./pins.js";

/** A tool the catalog policy flagged or hid, as `registry pin|check` report it. */
export interface JudgedTool {
  name: string;
  decision: "PASS" | "FLAG" | "HIDE";
  rules: string[];
  reason: string;
  findings: DefinitionFinding[];
  /** HIDE only: pinned anyway because the operator named it in --allow-hidden (the gateway still hides it). */
  allowed?: boolean;
}

export interface CatalogOptions {
  /** The active bundle's engine, or withoutCatalogPolicy() when none can be loaded. */
  judge: CatalogJudge;
  /** Every registered server, for the names other servers' tools must not imitate. */
  registry: readonly RegistryEntry[];
  /** Tools to pin even though the catalog policy hides them. */
  allowHidden?: readonly string[];
}

export interface PinnedServer {
  id: string;
  server: { name: string; version: string };
  tools: Array<{ name: string; hash: string; status: "new" | "changed" | "unchanged" }>;
  /** Tools pinned before that the server no longer lists (dropped from the lock). */
  removed: string[];
  /** Tools the catalog policy flagged or hid. */
  definitions: JudgedTool[];
}

export interface CheckedServer {
  id: string;
  server: { name: string; version: string };
  pinned: boolean;
  check: PinCheck;
  /** Tools the catalog policy flagged or hid. */
  definitions: JudgedTool[];
}

/** A HIDE nobody allowed: `registry pin` writes no lock while there is one. */
export interface RefusedTool {
  server: string;
  tool: string;
  rules: string[];
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

interface Listed {
  entry: RegistryEntry;
  server: { name: string; version: string };
  tools: RawTool[];
}

/** Lists every server first, so each is judged knowing the others' live tools. */
async function listAll(entries: readonly RegistryEntry[], options: LiveOptions): Promise<Listed[]> {
  const listed: Listed[] = [];
  for (const entry of entries) {
    listed.push(await withUpstream(entry, options, async (upstream) => ({ entry, server: serverName(upstream), tools: await upstream.listToolsRaw() })));
  }
  return listed;
}

/** The catalog policy's verdict on each listed tool worth reporting (findings or not a PASS). */
function judgeTools(listed: Listed, all: readonly Listed[], lock: LockFile, catalog: CatalogOptions | undefined): JudgedTool[] {
  if (!catalog) return [];
  const live = new Map(all.map((l) => [l.entry.id, l.tools.map((t) => t.name)]));
  const view = catalogView(listed.entry.id, catalog.registry, lock, live);
  const allowHidden = new Set(catalog.allowHidden ?? []);
  const judged: JudgedTool[] = [];
  for (const tool of listed.tools) {
    const verdict = judgeDefinition(catalog.judge, "tool", tool, view);
    if (!isNoteworthy(verdict)) continue;
    const { decision, rules, reason } = verdict.decision;
    judged.push({ name: tool.name, decision, rules, reason, findings: verdict.findings, ...(decision === "HIDE" ? { allowed: allowHidden.has(tool.name) } : {}) });
  }
  return judged;
}

/**
 * Pins each server's current tools. Returns the new lock (not yet
 * written), what changed, and the tools refused because the catalog
 * policy hides them (the caller must not write the lock while any is).
 */
export async function pinServers(
  entries: readonly RegistryEntry[],
  lock: LockFile,
  options: LiveOptions & { now?: () => Date; catalog?: CatalogOptions },
): Promise<{ lock: LockFile; results: PinnedServer[]; refused: RefusedTool[] }> {
  const listed = await listAll(entries, options);
  let next = lock;
  const results: PinnedServer[] = [];
  const refused: RefusedTool[] = [];
  for (const item of listed) {
    const { entry, server, tools } = item;
    const before = Object.hasOwn(next.servers, entry.id) ? next.servers[entry.id]!.tools : {};
    next = pinServer(next, entry.id, tools, { serverVersion: server.version, now: options.now?.() ?? new Date() });
    const names = new Set(tools.map((t) => t.name));
    const definitions = judgeTools(item, listed, lock, options.catalog);
    for (const d of definitions) if (d.decision === "HIDE" && !d.allowed) refused.push({ server: entry.id, tool: d.name, rules: d.rules });
    results.push({
      id: entry.id,
      server,
      tools: tools.map((tool) => {
        const hash = hashToolDefinition(tool);
        const old = Object.hasOwn(before, tool.name) ? before[tool.name] : undefined;
        return { name: tool.name, hash, status: old === undefined ? "new" : old === hash ? "unchanged" : "changed" } as const;
      }),
      removed: Object.keys(before)
        .filter((name) => !names.has(name))
        .sort(),
      definitions,
    });
  }
  return { lock: next, results, refused };
}

/** Compares each server's live tools with the lock, and judges them with the catalog policy. */
export async function checkServers(entries: readonly RegistryEntry[], lock: LockFile, options: LiveOptions & { catalog?: CatalogOptions }): Promise<CheckedServer[]> {
  const listed = await listAll(entries, options);
  return listed.map((item) => ({
    id: item.entry.id,
    server: item.server,
    pinned: Object.hasOwn(lock.servers, item.entry.id),
    check: checkTools(item.entry.id, item.tools, lock),
    definitions: judgeTools(item, listed, lock, options.catalog),
  }));
}
