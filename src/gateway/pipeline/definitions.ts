/**
 * @module Definition safety for prompts and resources, inside the
 * pipeline: a listing loses the entries the catalog policy hides (a check
 * after execute), and prompts/get or resources/read naming a hidden entry
 * is denied before dispatch (a gateway check). Tools are judged by the
 * ToolCatalog itself at every refresh.
 *
 * To know whether a get or read names a hidden entry the gateway needs the
 * server's listing; it asks for it and keeps it for a few seconds per
 * server, so a burst of reads costs one listing.
 */
import type { DefinitionKind } from "../../core/catalog-decision.js";
import { describeThrown } from "../../core/errors.js";
import type { McpMethod } from "../../core/envelope.js";
import type { GatewayContext } from "../context.js";
import { type CatalogFindingEvent, catalogView, type CatalogView, filterDefinitions, isHiddenDefinition, VerdictMemory } from "../definition-guard.js";
import { readLockFile } from "../pins.js";
import { gatewayDecision, refuse, type CallState, type StageResult } from "./state.js";

const LISTED: Partial<Record<McpMethod, { kind: DefinitionKind; key: string }>> = {
  "prompts/list": { kind: "prompt", key: "prompts" },
  "resources/list": { kind: "resource", key: "resources" },
  "resources/templates/list": { kind: "resource_template", key: "resourceTemplates" },
};

const LISTING_TTL_MS = 5_000;
const MAX_PAGES = 20;

interface Listing {
  at: number;
  listings: Promise<Array<{ kind: DefinitionKind; entries: unknown[] }>>;
}

/** Per gateway: what was last reported (one event per distinct verdict) and the listings kept for get/read checks. */
const memory = new WeakMap<GatewayContext, { verdicts: VerdictMemory; listings: Map<string, Listing> }>();

function stateOf(ctx: GatewayContext) {
  let found = memory.get(ctx);
  if (!found) {
    found = { verdicts: new VerdictMemory(), listings: new Map() };
    memory.set(ctx, found);
  }
  return found;
}

async function viewFor(ctx: GatewayContext, serverId: string): Promise<CatalogView> {
  return ctx.catalogs.get(serverId)?.registryView() ?? catalogView(serverId, ctx.registry.list(), await readLockFile(ctx.config.source.lock_path));
}

function report(ctx: GatewayContext, serverId: string, findings: CatalogFindingEvent[] | Awaited<ReturnType<typeof filterDefinitions>>["findings"]): void {
  const verdicts = stateOf(ctx).verdicts;
  for (const judged of findings) {
    if (verdicts.changed(serverId, judged)) ctx.onCatalogFinding?.({ ...judged, server: serverId });
  }
}

/** After execute: a listing of prompts, resources or templates without the hidden entries. */
export async function filterListing(state: CallState): Promise<StageResult> {
  const listed = LISTED[state.request.method];
  const result = state.result as Record<string, unknown> | undefined;
  if (!listed || !result || !Array.isArray(result[listed.key])) return state;
  const { ctx, request, engine } = state;
  const filtered = await filterDefinitions(engine.isolated, request.serverId, listed.kind, result[listed.key] as unknown[], await viewFor(ctx, request.serverId));
  report(ctx, request.serverId, filtered.findings);
  if (filtered.hidden.length === 0) return state;
  return { ...state, result: { ...result, [listed.key]: filtered.entries }, extra: { ...state.extra, hidden_definitions: filtered.hidden.length } };
}

async function listAll(state: CallState, method: string, key: string): Promise<unknown[]> {
  const upstream = state.upstream!;
  const out: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await upstream.request(method, cursor ? { cursor } : {}, { signal: state.request.signal });
    if (Array.isArray(result[key])) out.push(...(result[key] as unknown[]));
    cursor = typeof result["nextCursor"] === "string" ? result["nextCursor"] : undefined;
    if (!cursor) break;
  }
  return out;
}

function listingsFor(state: CallState): Promise<Array<{ kind: DefinitionKind; entries: unknown[] }>> {
  const { ctx, request } = state;
  const key = `${request.serverId}\n${request.method}`;
  const cache = stateOf(ctx).listings;
  const kept = cache.get(key);
  if (kept && Date.now() - kept.at < LISTING_TTL_MS) return kept.listings;
  const caps = state.upstream?.serverCapabilities;
  const listings = (async () => {
    if (request.method === "prompts/get") return caps?.prompts ? [{ kind: "prompt" as const, entries: await listAll(state, "prompts/list", "prompts") }] : [];
    if (!caps?.resources) return [];
    return [
      { kind: "resource" as const, entries: await listAll(state, "resources/list", "resources") },
      { kind: "resource_template" as const, entries: await listAll(state, "resources/templates/list", "resourceTemplates").catch(() => []) },
    ];
  })();
  cache.set(key, { at: Date.now(), listings });
  listings.catch(() => cache.delete(key));
  return listings;
}

/** A gateway check: prompts/get or resources/read of an entry the catalog policy hides never reaches the server. */
export async function checkHiddenDefinition(state: CallState): Promise<StageResult> {
  const { ctx, request, engine } = state;
  if (request.method !== "prompts/get" && request.method !== "resources/read" && request.method !== "resources/subscribe") return state;
  let listings: Array<{ kind: DefinitionKind; entries: unknown[] }>;
  try {
    listings = await listingsFor(state);
  } catch (error) {
    // Without the listing nothing vouches for the entry: fail closed, as for tools.
    const text = `mcpgov could not check ${request.method} against server "${request.serverId}"'s listing: ${describeThrown(error)} (call id ${state.callId})`;
    return refuse(state, "failed", text, { error: describeThrown(error) });
  }
  const check = await isHiddenDefinition(engine.isolated, request.serverId, listings, state.facts.target, await viewFor(ctx, request.serverId));
  if (check.judged) report(ctx, request.serverId, [{ ...check.judged, server: request.serverId }]);
  if (!check.hidden) return state;
  const decision = gatewayDecision("mcpgov.catalog-hidden", check.reason ?? "hidden by the catalog policy", state.decision);
  return refuse(state, "blocked", `mcpgov denied this request: ${decision.reason} (call id ${state.callId})`, { decision });
}
