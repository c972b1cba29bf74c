/**
 * @module The active policy bundle: loaded and verified at start, swapped
 * atomically when the file changes or an operator uploads a new one.
 *
 * A decision takes the engine reference once, so a swap never changes the
 * bundle under a call in flight; a bad bundle is refused and the last good
 * one stays active.
 *
 * Each bundle is held twice: in worker threads (WorkerPolicyEngine,
 * `isolated`), which make every decision the gateway acts on — calls,
 * outputs, catalog verdicts, unknown servers — under
 * `limits.decision_timeout_ms`; and in-process (WasmPolicyEngine), which
 * verifies the bundle on this thread before any worker sees it and keeps
 * the synchronous PolicyEngine role for callers that want it (none on the
 * gateway's call path). Both come from the same verified bytes and swap
 * together.
 *
 * With verification keys (`bundle_signing`), every bundle — at start, from
 * the watched file, an upload or the bundle poller — must also carry a
 * signature by one of them over exactly its files (OPA's
 * `.signatures.json`) before it is loaded.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { assertStampMatches, readBundle } from "../bundle/bundle.js";
import { type SignatureVerification, verifyBundleSignature } from "../bundle/signing.js";
import { describeThrown } from "../core/errors.js";
import type { AsyncPolicyEngine, PolicyEngine } from "../engine/policy-engine.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { type WorkerEngineOptions, WorkerPolicyEngine } from "../engine/worker-engine.js";

export interface BundleEvents {
  onSwap?(previous: PolicyEngine["bundle"], next: PolicyEngine["bundle"], source: string): void;
  onRefused?(source: string, reason: string): void;
}

/** One bundle, in-process and isolated; a call keeps the one it started with. */
export interface ActiveEngine extends PolicyEngine {
  /** The same bundle in worker threads: decisions that cannot stall the event loop, under the deadline. */
  readonly isolated: AsyncPolicyEngine;
}

interface Loaded {
  active: ActiveEngine;
  workers: WorkerPolicyEngine;
}

/** How bundles are loaded: worker settings, and the signature check when keys are configured. */
export interface BundleLoadOptions extends WorkerEngineOptions {
  verification?: SignatureVerification | undefined;
}

/**
 * Loads a verified bundle, or returns undefined when it verifies and is
 * the one already active (`activeHash`): a poll or a touched file then
 * costs no new workers.
 */
async function load(path: string, { verification, ...options }: BundleLoadOptions, activeHash?: string): Promise<Loaded | undefined> {
  const bundle = await readBundle(path);
  // Before any WASM is compiled: an unsigned or wrongly signed bundle never gets that far.
  if (verification) await verifyBundleSignature(path, bundle.files, verification);
  assertStampMatches(bundle);
  if (bundle.hash === activeHash) return undefined;
  // fromBundle verifies the stamp; the workers get the very bytes verified here.
  const inProcess = await WasmPolicyEngine.fromBundle(bundle);
  const workers = await WorkerPolicyEngine.start(bundle, options);
  const active: ActiveEngine = Object.freeze({
    bundle: inProcess.bundle,
    isolated: workers,
    decide: (envelope: unknown) => inProcess.decide(envelope),
    decideValid: (envelope: Parameters<PolicyEngine["decideValid"]>[0]) => inProcess.decideValid(envelope),
    decideOutput: (input: unknown) => inProcess.decideOutput(input),
    decideOutputValid: (input: Parameters<PolicyEngine["decideOutputValid"]>[0]) => inProcess.decideOutputValid(input),
    decideCatalog: (input: unknown) => inProcess.decideCatalog(input),
  });
  return { active, workers };
}

export class BundleManager {
  private loaded: Loaded;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private swapping: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    loaded: Loaded,
    private readonly events: BundleEvents,
    private readonly options: BundleLoadOptions,
  ) {
    this.loaded = loaded;
  }

  /** Loads the configured bundle; refusing to start is right when it cannot be verified. */
  static async open(path: string, events: BundleEvents = {}, options: BundleLoadOptions = {}): Promise<BundleManager> {
    return new BundleManager(path, (await load(path, options))!, events, options);
  }

  current(): ActiveEngine {
    return this.loaded.active;
  }

  /** Verifies and activates a bundle file; on failure the active bundle is kept and the error thrown. */
  async swapFromFile(path: string, source = path): Promise<PolicyEngine["bundle"]> {
    const attempt = this.swapping.then(async () => {
      let next: Loaded | undefined;
      try {
        next = await load(path, this.options, this.loaded.active.bundle.hash);
      } catch (error) {
        this.events.onRefused?.(source, describeThrown(error));
        throw error;
      }
      if (next === undefined) return this.loaded.active.bundle;
      const previous = this.loaded;
      this.loaded = next;
      // Calls that took the previous engine finish on it; its workers stop once idle.
      previous.workers.retire();
      if (previous.active.bundle.hash !== next.active.bundle.hash) this.events.onSwap?.(previous.active.bundle, next.active.bundle, source);
      return next.active.bundle;
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
    // Workers are unref'd; retiring stops them now (or as soon as their evaluation ends).
    this.loaded.workers.retire();
  }
}
