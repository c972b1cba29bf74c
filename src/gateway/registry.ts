/**
 * @module The registry: the servers the operator configured, the facts the
 * envelope carries about them, and how each tool is classified. No I/O.
 */
import { McpgovError } from "../core/errors.js";
import type { Action, EnvelopeParts } from "../core/envelope.js";
import type { RegistryEntry } from "../core/gateway-config.js";
import type { RawTool } from "../core/raw-tool.js";

export interface ToolClass {
  action: Action;
  risk_tags: string[];
  /** Who decided: the operator's config, a trusted server's annotations, or the worst-case default. */
  source: "operator" | "annotations" | "default";
}

export type RegistryFacts = NonNullable<EnvelopeParts["registry"]>;

export class Registry {
  readonly #entries: ReadonlyMap<string, RegistryEntry>;

  constructor(entries: readonly RegistryEntry[]) {
    this.#entries = new Map(entries.map((entry) => [entry.id, entry]));
  }

  get(id: string): RegistryEntry | undefined {
    return this.#entries.get(id);
  }

  /** Like get, but an unknown id is a usage error that lists the known ones. */
  require(id: string): RegistryEntry {
    const entry = this.#entries.get(id);
    if (!entry) {
      const known = [...this.#entries.keys()].join(", ") || "none";
      throw new McpgovError("usage", `no server '${id}' in the registry (registered: ${known})`);
    }
    return entry;
  }

  list(): RegistryEntry[] {
    return [...this.#entries.values()];
  }

  classifyTool(serverId: string, toolName: string, rawTool?: RawTool): ToolClass {
    return classifyTool(this.require(serverId), toolName, rawTool);
  }
}

/**
 * The operator's classification wins. Otherwise a trusted server's MCP
 * annotations decide, read with the spec's defaults (readOnlyHint false,
 * destructiveHint true), so a missing hint means the worse case. An
 * untrusted server's own claims count for nothing: destructive.
 */
export function classifyTool(entry: RegistryEntry, toolName: string, rawTool?: RawTool): ToolClass {
  const operator = Object.hasOwn(entry.tools, toolName) ? entry.tools[toolName] : undefined;
  if (operator) return { action: operator.action, risk_tags: [...operator.risk_tags], source: "operator" };
  const annotations = rawTool?.annotations;
  if (entry.trusted && annotations !== null && typeof annotations === "object" && !Array.isArray(annotations)) {
    const hints = annotations as Record<string, unknown>;
    // Only a real boolean counts; "true" or 1 is not an annotation the spec defines.
    const readOnly = hints.readOnlyHint === true;
    const destructive = hints.destructiveHint !== false;
    return { action: readOnly ? "read" : destructive ? "destructive" : "write", risk_tags: [], source: "annotations" };
  }
  return { action: "destructive", risk_tags: [], source: "default" };
}

/** The envelope's `server` block for a registered server. */
export function registryFacts(entry: RegistryEntry): RegistryFacts {
  return {
    ...(entry.version !== undefined ? { version: entry.version } : {}),
    ...(entry.owner !== undefined ? { owner: entry.owner } : {}),
    ...(entry.environment !== undefined ? { environment: entry.environment } : {}),
    risk_tags: [...entry.risk_tags],
    ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}),
    trusted: entry.trusted,
  };
}
