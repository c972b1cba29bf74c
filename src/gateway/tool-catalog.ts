/**
 * @module What a client may see and call on one upstream: its live tools
 * checked against the pins. Refreshed when the server says its tools
 * changed or restarts, because a rug pull arrives exactly that way.
 *
 * Fails closed: while the server is gone (exited, restarting) nothing it
 * offered is known, and a tool the catalog cannot vouch for never runs.
 */
import { describeThrown } from "../core/errors.js";
import type { RawTool } from "../core/raw-tool.js";
import type { Upstream } from "../upstream/upstream.js";
import { checkTools, type LockFile, type PinViolation } from "./pins.js";

export type ToolLookup =
  | { ok: true; tool: RawTool }
  /** unavailable: the tools could not be listed, so no pin can be checked. */
  | { ok: false; kind: PinViolation["kind"] | "unknown" | "unavailable"; reason: string };

export class ToolCatalog {
  private allowed = new Map<string, RawTool>();
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
  ) {}

  /** Lists the upstream's tools again and re-checks every pin. */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    const run = (async () => {
      const tools = await this.upstream.listToolsRaw();
      const check = checkTools(this.upstream.id, tools, await this.lock());
      // A refresh that started before a newer one must not overwrite what the newer one saw.
      if (generation !== this.generation) return;
      this.allowed = new Map(check.allowed.map((tool) => [tool.name, tool]));
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
    this.loaded = undefined;
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
    return [...this.allowed.values()];
  }

  async lookup(name: string): Promise<ToolLookup> {
    await this.ensureLoaded();
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
