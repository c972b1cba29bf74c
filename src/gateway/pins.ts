/**
 * @module Tool pinning: the hash of each tool definition the operator
 * reviewed, kept in a lock file beside the config, and the check that hides
 * any tool whose definition is no longer the one pinned (a "rug pull").
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import { jsonDigest } from "../bundle/hash.js";
import { describeIssues } from "../core/issues.js";
import { McpgovError } from "../core/errors.js";
import type { RawTool } from "../core/raw-tool.js";

const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex digits>");

export const ServerPinsSchema = z.strictObject({
  pinned_at: z.iso.datetime({ offset: true }),
  server_version: z.string().describe("serverInfo.version from the server's initialize result when pinned."),
  tools: z.record(z.string().min(1), DigestSchema),
});
export type ServerPins = z.infer<typeof ServerPinsSchema>;

export const LockFileSchema = z.strictObject({
  version: z.literal(1),
  servers: z.record(z.string().min(1), ServerPinsSchema),
});
export type LockFile = z.infer<typeof LockFileSchema>;

export interface PinViolation {
  tool: string;
  /** changed: the definition differs from its pin; unpinned: no pin; duplicate: the server lists the name twice. */
  kind: "changed" | "unpinned" | "duplicate";
  expected?: string;
  actual: string;
}

export interface PinCheck {
  /** Tools whose definition matches its pin exactly; only these may be offered to clients. */
  allowed: RawTool[];
  violations: PinViolation[];
  /** Pinned tools the server no longer lists (not a risk, but the lock is stale). */
  missing: string[];
}

export function emptyLock(): LockFile {
  return { version: 1, servers: {} };
}

/** sha256 over the canonical JSON of the whole definition, every field included. */
export function hashToolDefinition(rawTool: RawTool): string {
  return jsonDigest(rawTool);
}

/**
 * Compares live tools with the lock. Fails closed: a server without pins
 * has every tool unpinned, and a name listed twice is hidden entirely
 * (which copy a client would get is not something to guess).
 */
export function checkTools(serverId: string, rawTools: readonly RawTool[], lock: LockFile): PinCheck {
  const pins = Object.hasOwn(lock.servers, serverId) ? lock.servers[serverId]!.tools : {};
  const counts = new Map<string, number>();
  for (const tool of rawTools) counts.set(tool.name, (counts.get(tool.name) ?? 0) + 1);

  const allowed: RawTool[] = [];
  const violations: PinViolation[] = [];
  const reportedDuplicate = new Set<string>();
  for (const tool of rawTools) {
    const actual = hashToolDefinition(tool);
    const expected = Object.hasOwn(pins, tool.name) ? pins[tool.name] : undefined;
    if ((counts.get(tool.name) ?? 0) > 1) {
      if (!reportedDuplicate.has(tool.name)) violations.push({ tool: tool.name, kind: "duplicate", ...(expected ? { expected } : {}), actual });
      reportedDuplicate.add(tool.name);
    } else if (expected === undefined) {
      violations.push({ tool: tool.name, kind: "unpinned", actual });
    } else if (expected !== actual) {
      violations.push({ tool: tool.name, kind: "changed", expected, actual });
    } else {
      allowed.push(tool);
    }
  }
  const missing = Object.keys(pins)
    .filter((name) => !counts.has(name))
    .sort();
  return { allowed, violations, missing };
}

/** A new lock in which the server's pins are exactly its current tools. */
export function pinServer(lock: LockFile, serverId: string, rawTools: readonly RawTool[], at: { serverVersion: string; now: Date }): LockFile {
  const tools = new Map<string, string>();
  for (const tool of rawTools) {
    if (tools.has(tool.name)) {
      throw new McpgovError("upstream_error", `server '${serverId}' lists tool '${tool.name}' twice; refusing to pin an ambiguous name`);
    }
    tools.set(tool.name, hashToolDefinition(tool));
  }
  return {
    version: 1,
    servers: { ...lock.servers, [serverId]: { pinned_at: at.now.toISOString(), server_version: at.serverVersion, tools: Object.fromEntries(tools) } },
  };
}

/** Sorted keys at every level and a final newline, so the same pins always give the same bytes (and small diffs). */
export function serializeLock(lock: LockFile): string {
  return `${JSON.stringify(sortKeys(LockFileSchema.parse(lock)), null, 2)}\n`;
}

/** Reads a lock file; a missing file is an empty lock (nothing pinned, so everything is hidden). */
export async function readLockFile(path: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return emptyLock();
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new McpgovError("config_invalid", `${path}: not valid JSON; restore it or pin again`, { cause });
  }
  const parsed = LockFileSchema.safeParse(value);
  if (!parsed.success) throw new McpgovError("config_invalid", `${path}: not a valid lock file: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Writes through a temporary file and a rename, so a reader never sees half a lock. */
export async function writeLockFile(path: string, lock: LockFile): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, serializeLock(lock), "utf8");
    await rename(temporary, path);
  } catch (cause) {
    throw new McpgovError("io_error", `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
