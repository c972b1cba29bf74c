/**
 * @module The active policy bundle: loaded and verified at start, swapped
 * atomically when the file changes or an operator uploads a new one.
 *
 * A decision takes the engine reference once, so a swap never changes the
 * bundle under a call in flight; a bad bundle is refused and the last good
 * one stays active.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describeThrown } from "../core/errors.js";
import type { PolicyEngine } from "../engine/policy-engine.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";

export interface BundleEvents {
  onSwap?(previous: PolicyEngine["bundle"], next: PolicyEngine["bundle"], source: string): void;
  onRefused?(source: string, reason: string): void;
}

export class BundleManager {
  private engine: PolicyEngine;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private swapping: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    engine: PolicyEngine,
    private readonly events: BundleEvents,
  ) {
    this.engine = engine;
  }

  /** Loads the configured bundle; refusing to start is right when it cannot be verified. */
  static async open(path: string, events: BundleEvents = {}): Promise<BundleManager> {
    return new BundleManager(path, await WasmPolicyEngine.fromFile(path), events);
  }

  current(): PolicyEngine {
    return this.engine;
  }

  /** Verifies and activates a bundle file; on failure the active bundle is kept and the error thrown. */
  async swapFromFile(path: string, source = path): Promise<PolicyEngine["bundle"]> {
    const attempt = this.swapping.then(async () => {
      let next: PolicyEngine;
      try {
        next = await WasmPolicyEngine.fromFile(path);
      } catch (error) {
        this.events.onRefused?.(source, describeThrown(error));
        throw error;
      }
      const previous = this.engine.bundle;
      this.engine = next;
      if (previous.hash !== next.bundle.hash) this.events.onSwap?.(previous, next.bundle, source);
      return next.bundle;
    });
    this.swapping = attempt.catch(() => undefined);
    return attempt;
  }

  /** An uploaded bundle (admin API) goes through the same verification as a file. */
  async swapFromBytes(bytes: Uint8Array, source = "upload"): Promise<PolicyEngine["bundle"]> {
    const dir = await mkdtemp(join(tmpdir(), "mcpgov-upload-"));
    try {
      const file = join(dir, "bundle.tar.gz");
      await writeFile(file, bytes);
      return await this.swapFromFile(file, source);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Watches the bundle's folder (deployments usually replace the file by
   * rename, which a watch on the file itself would miss) and reloads after
   * writes settle.
   */
  watch(debounceMs = 200): void {
    if (this.watcher) return;
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.swapFromFile(this.path, `file ${this.path}`).catch(() => undefined);
      }, debounceMs);
    });
  }

  close(): void {
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
