/**
 * @module What a client may see and call on one upstream: its live tools
 * checked against the pins. Refreshed when the server says its tools
 * changed or restarts, because a rug pull arrives exactly that way.
 */
import type { RawTool } from "../core/raw-tool.js";
import type { Upstream } from "../upstream/upstream.js";
import { checkTools, type LockFile, type PinViolation } from "./pins.js";

export type ToolLookup = { ok: true; tool: RawTool } | { ok: false; kind: PinViolation["kind"] | "unknown"; reason: string };

export class ToolCatalog {
  private allowed = new Map<string, RawTool>();
  private violations = new Map<string, PinViolation>();
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly upstream: Upstream,
    /** Read at every refresh, so a server re-pinned with `mcpgov registry pin` is picked up. */
    private readonly lock: () => Promise<LockFile>,
    private readonly onViolation: (violation: PinViolation) => void,
  ) {}

  /** Lists the upstream's tools again and re-checks every pin. */
  refresh(): Promise<void> {
    const run = (async () => {
      const tools = await this.upstream.listToolsRaw();
      const check = checkTools(this.upstream.id, tools, await this.lock());
      this.allowed = new Map(check.allowed.map((tool) => [tool.name, tool]));
      const next = new Map(check.violations.map((v) => [v.tool, v]));
      for (const [name, violation] of next) {
        const before = this.violations.get(name);
        if (!before || before.actual !== violation.actual) this.onViolation(violation);
      }
      this.violations = next;
    })();
    this.loaded = run.catch(() => undefined);
    return run;
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.refresh();
    else await this.loaded;
  }

  async list(): Promise<RawTool[]> {
    await this.ensureLoaded();
    return [...this.allowed.values()];
  }

  async lookup(name: string): Promise<ToolLookup> {
    await this.ensureLoaded();
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
    return { ok: false, kind: "unknown", reason: `server "${this.upstream.id}" has no tool "${name}"` };
  }
}
