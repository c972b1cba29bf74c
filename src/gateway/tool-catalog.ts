/**
 * @module What a client may see and call on one upstream: its live tools
 * checked against the pins. Refreshed when the server says its tools
 * changed or restarts, because a rug pull arrives exactly that way.
 *
 * Every pinned tool is then scanned and decided by the bundle's catalog
 * policy: HIDE removes it (a call to it is refused before dispatch), FLAG
 * keeps it listed and reports it. A bundle swap re-decides on the next
 * list or lookup, from the tools already listed.
 *
 * Fails closed: while the server is gone (exited, restarting) nothing it
 * offered is known, and a tool the catalog cannot vouch for never runs.
 */
import type { CatalogDecision } from "../core/catalog-decision.js";
import { describeThrown } from "../core/errors.js";
import type { RawTool } from "../core/raw-tool.js";
import type { BundleRef } from "../core/decision.js";
import type { Upstream } from "../upstream/upstream.js";
import { type AnyCatalogJudge, type CatalogFindingEvent, type CatalogView, judgeDefinitionLater, VerdictMemory } from "./definition-guard.js";
import { checkTools, type LockFile, type PinViolation } from "./pins.js";

export type ToolLookup =
  | { ok: true; tool: RawTool }
  /**
   * unavailable: the tools could not be listed, so no pin can be checked;
   * hidden: pinned, but the catalog policy hides it (`rules` name why).
   */
  | { ok: false; kind: PinViolation["kind"] | "unknown" | "unavailable" | "hidden"; reason: string; rules?: string[] };

/** How the catalog judges definitions; the gateway builds one per server. */
export interface DefinitionPolicy {
  /**
   * The engine of the active bundle, read at every judgement (bundles swap);
   * the gateway's answers from its policy workers, under the decision deadline.
   */
  engine(): AnyCatalogJudge & { readonly bundle: BundleRef };
  /** The rest of the registry, built from the lock read at this refresh. */
  view(lock: LockFile): CatalogView;
  /**
   * Called once per distinct verdict on a tool with findings or a non-PASS
   * decision (not at every refresh): the gateway records it as an audit
   * event and counts it in mcpgov_catalog_findings_total{server,decision}.
   * Must not throw; it runs inside the refresh.
   */
  onFinding(event: CatalogFindingEvent): void;
}

export class ToolCatalog {
  private allowed = new Map<string, RawTool>();
  /** Tools whose pins match, before the catalog policy; re-judged when the bundle changes. */
  private pinned: RawTool[] = [];
  private hidden = new Map<string, CatalogDecision>();
  /** The bundle hash and view the current `allowed` was judged under. */
  private judgedUnder: string | undefined;
  private view: CatalogView | undefined;
  /** The last verdict reported per tool, so a refresh reports only what changed. */
  private readonly reported = new VerdictMemory();
  private violations = new Map<string, PinViolation>();
  private loaded: Promise<void> | undefined;
  /** Why the latest refresh failed; undefined once one succeeds. */
  private failure: unknown;
  private generation = 0;

  constructor(
    private readonly upstream: Upstream,
    /** Read at every refresh, so a server re-pinned with `mcpgov registry pin` is picked up. */
    private readonly lock: () => Promise<LockFile>,
    private readonly onViolation: (violation: PinViolation) => void,
    private readonly definitions: DefinitionPolicy,
  ) {}

  /** Lists the upstream's tools again and re-checks every pin. */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    const run = (async () => {
      const tools = await this.upstream.listToolsRaw();
      const lock = await this.lock();
      const check = checkTools(this.upstream.id, tools, lock);
      // A refresh that started before a newer one must not overwrite what the newer one saw.
      if (generation !== this.generation) return;
      this.pinned = check.allowed;
      this.view = this.definitions.view(lock);
      await this.judge();
      if (generation !== this.generation) return;
      const next = new Map(check.violations.map((v) => [v.tool, v]));
      for (const [name, violation] of next) {
        const before = this.violations.get(name);
        if (!before || before.actual !== violation.actual) this.onViolation(violation);
      }
      this.violations = next;
      this.failure = undefined;
    })();
    this.loaded = run.then(
      () => undefined,
      (error: unknown) => {
        if (generation !== this.generation) return;
        // Nothing listed means nothing vouched for: stale tools are not offered.
        this.allowed = new Map();
        this.pinned = [];
        this.hidden = new Map();
        this.failure = error;
      },
    );
    return run;
  }

  /**
   * The server went away (a process exited, a session ended): what it
   * offers when it comes back is unknown until it is listed again, so a
   * call racing the restart waits for that listing instead of trusting the
   * old one.
   */
  invalidate(): void {
    this.generation++;
    this.allowed = new Map();
    this.pinned = [];
    this.hidden = new Map();
    this.loaded = undefined;
  }

  /**
   * What the latest refresh left a client, for the start-up banner and
   * troubleshooting: tools offered, tools the server lists that are not
   * pinned or no longer match their pin, tools the catalog policy hides.
   */
  async settledSummary(): Promise<ReturnType<ToolCatalog["summary"]>> {
    // A server may announce a change while it starts (server-everything does): the summary waits for the latest listing.
    await this.ensureLoaded().catch(() => undefined);
    return this.summary();
  }

  summary(): { offered: number; unpinned: number; changed: number; hidden: number; failed: boolean } {
    let unpinned = 0;
    let changed = 0;
    for (const violation of this.violations.values()) {
      if (violation.kind === "unpinned") unpinned++;
      else changed++;
    }
    return { offered: this.allowed.size, unpinned, changed, hidden: this.hidden.size, failed: this.failure !== undefined };
  }

  /** The registry view of the latest refresh, for the proxy's filterDefinitions (undefined before one). */
  registryView(): CatalogView | undefined {
    return this.view;
  }

  /** Decides every pinned tool under the active bundle; a tool the policy hides is not allowed. */
  private async judge(): Promise<void> {
    const engine = this.definitions.engine();
    const view = this.view;
    if (!view) return;
    const { generation, pinned } = this;
    const verdicts = await Promise.all(pinned.map((tool) => judgeDefinitionLater(engine, "tool", tool, view)));
    // A refresh (or the server going away) while the policy decided: its tools are not these.
    if (generation !== this.generation || pinned !== this.pinned) return;
    const allowed = new Map<string, RawTool>();
    const hidden = new Map<string, CatalogDecision>();
    for (const [index, tool] of pinned.entries()) {
      const judged = verdicts[index]!;
      if (judged.decision.decision === "HIDE") hidden.set(tool.name, judged.decision);
      else allowed.set(tool.name, tool);
      if (this.reported.changed(this.upstream.id, judged)) this.definitions.onFinding({ server: this.upstream.id, ...judged });
    }
    this.allowed = allowed;
    this.hidden = hidden;
    this.judgedUnder = engine.bundle.hash;
  }

  /** A swapped bundle may decide differently: judge again from the tools already listed. */
  private async rejudgeOnSwap(): Promise<void> {
    if (this.failure === undefined && this.judgedUnder !== undefined && this.judgedUnder !== this.definitions.engine().bundle.hash) await this.judge();
  }

  /** Waits for the latest refresh (starting one when none ran, the last failed, or the server went away meanwhile). */
  private async ensureLoaded(): Promise<void> {
    if (this.failure !== undefined) void this.refresh().catch(() => undefined);
    for (;;) {
      if (!this.loaded) void this.refresh().catch(() => undefined);
      // refresh() sets `loaded` before it returns.
      const current = this.loaded!;
      await current;
      if (current === this.loaded) return;
    }
  }

  async list(): Promise<RawTool[]> {
    await this.ensureLoaded();
    if (this.failure !== undefined) throw this.failure;
    await this.rejudgeOnSwap();
    return [...this.allowed.values()];
  }

  async lookup(name: string): Promise<ToolLookup> {
    await this.ensureLoaded();
    await this.rejudgeOnSwap();
    let found = this.find(name);
    if (!found.ok && found.kind === "unknown") {
      // A server can add a tool without announcing it: list once more before saying it does not exist.
      await this.refresh().catch(() => undefined);
      await this.ensureLoaded();
      found = this.find(name);
    }
    return found;
  }

  private find(name: string): ToolLookup {
    if (this.failure !== undefined) {
      return { ok: false, kind: "unavailable", reason: `cannot list the tools of server "${this.upstream.id}" to check their pins: ${describeThrown(this.failure)}` };
    }
    const tool = this.allowed.get(name);
    if (tool) return { ok: true, tool };
    const hiddenBy = this.hidden.get(name);
    if (hiddenBy) {
      return {
        ok: false,
        kind: "hidden",
        rules: hiddenBy.rules,
        reason: `tool "${name}" of server "${this.upstream.id}" is hidden by the catalog policy (${hiddenBy.rules.join(", ")}): ${hiddenBy.reason}`,
      };
    }
    const violation = this.violations.get(name);
    if (violation?.kind === "changed") {
      return { ok: false, kind: "changed", reason: `tool "${name}" no longer matches its pinned definition (pinned ${violation.expected}, now ${violation.actual}); it is hidden until an operator pins it again` };
    }
    if (violation?.kind === "unpinned") {
      return { ok: false, kind: "unpinned", reason: `tool "${name}" is not pinned for server "${this.upstream.id}"; run \`mcpgov registry pin ${this.upstream.id}\` after reviewing it` };
    }
    if (violation?.kind === "duplicate") {
      return { ok: false, kind: "duplicate", reason: `server "${this.upstream.id}" lists tool "${name}" more than once; it is hidden` };
    }
    return { ok: false, kind: "unknown", reason: `server "${this.upstream.id}" does not list a tool "${name}"` };
  }
}
