/**
 * @module Definition safety at the gateway: scans a tool, prompt or
 * resource definition, asks the bundle's catalog policy whether to offer
 * it (PASS, FLAG, HIDE), and filters listings accordingly. Used by the
 * ToolCatalog at every refresh, by `mcpgov registry pin|check`, and by the
 * proxy for prompts/list, resources/list and resources/templates/list.
 */
import {
  buildCatalogInput,
  type CatalogDecision,
  catalogFailClosed,
  CatalogPolicyInputSchema,
  type CatalogServerFacts,
  catalogWithoutPolicy,
  type DefinitionFinding,
  type DefinitionKind,
} from "../core/catalog-decision.js";
import { describeIssues } from "../core/issues.js";
import { definitionName, type RegistryView, scanDefinition } from "../core/definition-scan.js";
import type { RegistryEntry } from "../core/gateway-config.js";
import type { PolicyEngine } from "../engine/policy-engine.js";
import type { LockFile } from "./pins.js";

/** The registry as one server's definitions are judged in it: the other servers' tools and this server's facts. */
export interface CatalogView extends RegistryView {
  /** Facts about the server itself for the policy input; an unregistered server has none. */
  server?: Omit<CatalogServerFacts, "id" | "registered">;
}

/** One judged definition: what the scanner found and what the policy decided. */
export interface JudgedDefinition {
  kind: DefinitionKind;
  name: string;
  findings: DefinitionFinding[];
  decision: CatalogDecision;
}

/**
 * The event the gateway records (audit, logs) when a definition has
 * findings or is not a plain PASS. Emitted once per distinct verdict, not
 * at every refresh. Carries finding labels, never the definition's text.
 */
export interface CatalogFindingEvent extends JudgedDefinition {
  server: string;
}

/**
 * The other servers' tool names as the operator knows them: the tools
 * each registered server was pinned with, plus those its config classifies.
 */
export function catalogView(serverId: string, entries: readonly RegistryEntry[], lock: LockFile, live: ReadonlyMap<string, readonly string[]> = new Map()): CatalogView {
  const self = entries.find((e) => e.id === serverId);
  const otherServers = entries
    .filter((e) => e.id !== serverId)
    .map((e) => {
      const pinned = Object.hasOwn(lock.servers, e.id) ? Object.keys(lock.servers[e.id]!.tools) : [];
      return { id: e.id, toolNames: [...new Set([...Object.keys(e.tools), ...pinned, ...(live.get(e.id) ?? [])])].sort() };
    });
  return {
    serverId,
    otherServers,
    ...(self ? { server: { trusted: self.trusted, ...(self.environment ? { environment: self.environment } : {}), risk_tags: self.risk_tags } } : {}),
  };
}

/** What judging needs of an engine: only the catalog decision. */
export type CatalogJudge = Pick<PolicyEngine, "decideCatalog">;

/** A judge that may answer later: the gateway's policy workers, under the decision deadline (a timeout hides). */
export interface AnyCatalogJudge {
  decideCatalog(input: unknown): CatalogDecision | Promise<CatalogDecision>;
}

/**
 * A judge for when no bundle can be loaded (`mcpgov registry pin` before
 * the first build): the same rule as a bundle without a catalog policy,
 * so definitions with findings count as hidden and the others pass.
 */
export function withoutCatalogPolicy(): CatalogJudge {
  const bundle = { hash: "none", revision: "" };
  return {
    decideCatalog(input: unknown): CatalogDecision {
      const parsed = CatalogPolicyInputSchema.safeParse(input);
      if (!parsed.success) return catalogFailClosed("invalid_input", describeIssues(parsed.error), bundle);
      return catalogWithoutPolicy(parsed.data, bundle);
    },
  };
}

function scanned(kind: DefinitionKind, raw: unknown, view: CatalogView) {
  const name = definitionName(raw);
  const findings = scanDefinition(kind, raw, view);
  const server: CatalogServerFacts = { id: view.serverId, registered: view.server !== undefined, ...view.server };
  return { name, findings, input: buildCatalogInput(server, { kind, name }, findings) };
}

/** Scans one definition and decides it. Never throws: the engine hides on any error. */
export function judgeDefinition(engine: CatalogJudge, kind: DefinitionKind, raw: unknown, view: CatalogView): JudgedDefinition {
  const { name, findings, input } = scanned(kind, raw, view);
  return { kind, name, findings, decision: engine.decideCatalog(input) };
}

/** judgeDefinition with a judge that may answer later (the gateway's policy workers). Never rejects. */
export async function judgeDefinitionLater(engine: AnyCatalogJudge, kind: DefinitionKind, raw: unknown, view: CatalogView): Promise<JudgedDefinition> {
  const { name, findings, input } = scanned(kind, raw, view);
  return { kind, name, findings, decision: await engine.decideCatalog(input) };
}

/** Whether a judged definition is worth an event: something was found, or the policy did not simply pass it. */
export const isNoteworthy = (judged: JudgedDefinition): boolean => judged.findings.length > 0 || judged.decision.decision !== "PASS";

/**
 * Remembers the last verdict per definition, so listing again reports only
 * what changed (one audit event per distinct verdict, not per listing).
 */
export class VerdictMemory {
  private readonly last = new Map<string, string>();

  /** Whether this verdict is worth reporting: noteworthy, and not the one last seen for the same definition. */
  changed(server: string, judged: JudgedDefinition): boolean {
    const key = JSON.stringify([server, judged.kind, judged.name]);
    if (!isNoteworthy(judged)) {
      this.last.delete(key);
      return false;
    }
    const verdict = JSON.stringify([judged.decision.decision, judged.decision.rules, judged.findings]);
    if (this.last.get(key) === verdict) return false;
    this.last.set(key, verdict);
    return true;
  }
}

export interface FilteredDefinitions<T> {
  /** The entries to hand to the client, in their order, without the hidden ones. */
  entries: T[];
  /** Names (uri or uriTemplate for resources without a name) of the hidden entries. */
  hidden: string[];
  /** Every entry with findings or a non-PASS decision, hidden or not. */
  findings: JudgedDefinition[];
}

/**
 * Filters a prompts/list, resources/list or resources/templates/list page:
 * HIDE entries are dropped, FLAG entries stay (and are reported in
 * `findings`). The caller records `findings` (see CatalogFindingEvent).
 */
export async function filterDefinitions<T>(engine: AnyCatalogJudge, serverId: string, kind: DefinitionKind, entries: readonly T[], view: CatalogView): Promise<FilteredDefinitions<T>> {
  const scoped = view.serverId === serverId ? view : { ...view, serverId };
  const kept: T[] = [];
  const hidden: string[] = [];
  const findings: JudgedDefinition[] = [];
  // Judged together: the gateway's workers decide them in parallel.
  const verdicts = await Promise.all(entries.map((entry) => judgeDefinitionLater(engine, kind, entry, scoped)));
  for (const [index, entry] of entries.entries()) {
    const judged = verdicts[index]!;
    if (isNoteworthy(judged)) findings.push(judged);
    if (judged.decision.decision === "HIDE") hidden.push(judged.name);
    else kept.push(entry);
  }
  return { entries: kept, hidden, findings };
}

export interface HiddenCheck {
  hidden: boolean;
  /** The judged entry the request refers to, when it is listed. */
  judged?: JudgedDefinition;
  /** For a hidden entry: the text to answer with, naming the catalog rules. */
  reason?: string;
}

/**
 * Whether prompts/get (by name) or resources/read (by uri) refers to a
 * hidden entry of `entries` (the server's current listing of that kind;
 * for resources pass the resources and the templates, each with its kind).
 * An entry that is not listed is not hidden here: the server decides
 * whether it exists.
 */
export async function isHiddenDefinition(
  engine: AnyCatalogJudge,
  serverId: string,
  listings: ReadonlyArray<{ kind: DefinitionKind; entries: readonly unknown[] }>,
  requested: string,
  view: CatalogView,
): Promise<HiddenCheck> {
  const scoped = view.serverId === serverId ? view : { ...view, serverId };
  for (const { kind, entries } of listings) {
    for (const entry of entries) {
      if (!refersTo(kind, entry, requested)) continue;
      const judged = await judgeDefinitionLater(engine, kind, entry, scoped);
      if (judged.decision.decision === "HIDE") {
        return { hidden: true, judged, reason: `${kind.replace("_", " ")} "${judged.name}" of server "${serverId}" is hidden by the catalog policy (${judged.decision.rules.join(", ")}): ${judged.decision.reason}` };
      }
      return { hidden: false, judged };
    }
  }
  return { hidden: false };
}

function refersTo(kind: DefinitionKind, entry: unknown, requested: string): boolean {
  if (entry === null || typeof entry !== "object") return false;
  const record = entry as Record<string, unknown>;
  if (kind === "prompt" || kind === "tool") return record.name === requested;
  if (kind === "resource") return record.uri === requested;
  return typeof record.uriTemplate === "string" && templatePattern(record.uriTemplate).test(requested);
}

/** A URI template (RFC 6570, the forms MCP servers use) as a pattern: `{x}` is one segment, `{+x}`, `{/x*}`… anything. */
function templatePattern(template: string): RegExp {
  const parts = template.split(/(\{[^}]*\})/);
  const source = parts
    .map((part) => {
      if (!part.startsWith("{")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return /^\{[a-zA-Z0-9_]+\}$/.test(part) ? "[^/?#]*" : ".*";
    })
    .join("");
  return new RegExp(`^${source}$`);
}
