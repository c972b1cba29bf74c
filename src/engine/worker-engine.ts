/**
 * @module WorkerPolicyEngine: the same WASM evaluation as WasmPolicyEngine,
 * in a small pool of worker threads, each decision under a deadline.
 *
 * Why: a policy can loop long on its input (a comprehension over
 * `numbers.range(0, input.call.arguments.n)`, a deep walk). In-process that
 * blocks the gateway's event loop, so every session waits. Here it blocks
 * one worker; at the deadline that worker is terminated, the decision fails
 * closed (`fail_closed: "timeout"`), and a fresh worker is started when the
 * next request needs one.
 *
 * Scheduling: requests wait in one queue here and go to a worker only when
 * it is idle, so a worker never holds a queue of its own. Terminating a
 * worker therefore stops exactly the one evaluation that overran; nothing
 * else was sent to it, so nothing else is lost or retried. The deadline
 * counts from the moment a worker starts the evaluation, not from queueing:
 * a request behind slow ones waits for a free worker and then gets its full
 * deadline. The wait is bounded too (`maxQueueMs`: four deadlines, at
 * least 2 s, since starting a worker takes a few hundred ms): under a flood of slow evaluations the gateway sheds the
 * requests it cannot start in time, fail-closed, instead of queueing
 * without end.
 *
 * One engine serves one bundle. When the gateway swaps bundles it retires
 * the old engine: its workers stop after a few idle seconds, and a call still holding it
 * (a decision made under the old bundle whose output is guarded later)
 * starts a worker again on demand, so it finishes on the bundle it began
 * with. Workers are unref'd: they never keep the process alive.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Bundle } from "../bundle/bundle.js";
import { inputPathsOf } from "../bundle/manifest.js";
import { decisionInputText, type InputPaths } from "../core/input-projection.js";
import { type CatalogDecision, catalogFailClosed } from "../core/catalog-decision.js";
import { type BundleRef, type Decision, failClosed } from "../core/decision.js";
import type { Envelope } from "../core/envelope.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { type OutputDecision, outputFailClosed, type OutputPolicyInput } from "../core/output-decision.js";
import { type AsyncPolicyEngine, DECISION_ENTRYPOINT } from "./policy-engine.js";
import type { PolicyWorkerData, PolicyWorkerReply, PolicyWorkerRequest } from "./policy-worker.js";

const WORKER_URL = new URL("./policy-worker.js", import.meta.url);
/** From sources (src/engine, under a test runner), the built worker: run `npm run build` first. */
const BUILT_WORKER_URL = new URL("../../dist/src/engine/policy-worker.js", import.meta.url);
const workerUrl = (): URL => (existsSync(fileURLToPath(WORKER_URL)) ? WORKER_URL : BUILT_WORKER_URL);

export const DEFAULT_DECISION_TIMEOUT_MS = 1_000;
export const DEFAULT_POLICY_WORKERS = 2;
/** A worker that is (re)starting loads the bundle first; a request waiting for it must not be shed for that. */
const MIN_QUEUE_MS = 2_000;
/** How long a retired engine keeps idle workers for the calls that began under its bundle. */
const RETIRED_LINGER_MS = 5_000;

export interface WorkerEngineOptions {
  /** How long one evaluation may run before its worker is terminated. */
  timeoutMs?: number;
  /** Worker threads per bundle (evaluations that may run at once). */
  workers?: number;
  /** How long a request may wait for a free worker; four times timeoutMs, at least MIN_QUEUE_MS, by default. */
  maxQueueMs?: number;
}

type FailKind = "timeout" | "evaluation_error";

interface Job {
  request: Omit<PolicyWorkerRequest, "id">;
  /** Fails the request if no worker takes it in time. */
  waiting?: NodeJS.Timeout;
  settle(result: unknown): void;
  fail(kind: FailKind, detail: string): void;
}

interface Slot {
  worker: Worker | undefined;
  /** True once the worker loaded the bundle and waits for work. */
  ready: boolean;
  job: (Job & { id: number; timer: NodeJS.Timeout }) | undefined;
}

export class WorkerPolicyEngine implements AsyncPolicyEngine {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[];
  private readonly timeoutMs: number;
  private readonly maxQueueMs: number;
  private nextId = 1;
  private retired = false;
  private linger: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times a worker was terminated at the deadline (for tests and metrics). */
  timeouts = 0;

  private constructor(
    readonly bundle: BundleRef,
    private readonly data: PolicyWorkerData,
    /** What of an envelope the decision policy reads: only that is sent to a worker. */
    private readonly decisionInput: InputPaths,
    options: WorkerEngineOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS;
    this.maxQueueMs = options.maxQueueMs ?? Math.max(MIN_QUEUE_MS, 4 * this.timeoutMs);
    this.slots = Array.from({ length: Math.max(1, options.workers ?? DEFAULT_POLICY_WORKERS) }, () => ({ worker: undefined, ready: false, job: undefined }));
  }

  /**
   * Starts the pool on a bundle the caller has verified (its stamp checked).
   * Resolves once one worker has loaded it, so a bundle no worker can load
   * is refused here, at swap time, not at the first call.
   */
  static async start(bundle: Bundle, options: WorkerEngineOptions = {}): Promise<WorkerPolicyEngine> {
    const decisionInput = inputPathsOf(bundle.manifest, DECISION_ENTRYPOINT);
    if ("error" in decisionInput) throw new McpgovError("bundle_invalid", `${bundle.path}: ${decisionInput.error}`);
    const data = { path: bundle.path, files: new Map([...bundle.files].map(([name, bytes]) => [name, new Uint8Array(bytes)])) };
    const engine = new WorkerPolicyEngine({ hash: bundle.hash, revision: bundle.manifest.revision }, data, decisionInput.paths, options);
    await engine.spawnAll();
    return engine;
  }

  decideValid(envelope: Envelope): Promise<Decision> {
    let text: string;
    try {
      text = decisionInputText(envelope, this.decisionInput);
    } catch (thrown) {
      return Promise.resolve(failClosed("evaluation_error", describeThrown(thrown), this.bundle));
    }
    return this.run<Decision>({ op: "decide", input: text }, (kind, detail) => failClosed(kind, detail, this.bundle));
  }

  decideOutputValid(input: OutputPolicyInput): Promise<OutputDecision> {
    return this.run<OutputDecision>({ op: "output", input }, (kind, detail) => outputFailClosed(kind, detail, this.bundle));
  }

  decideCatalog(input: unknown): Promise<CatalogDecision> {
    return this.run<CatalogDecision>({ op: "catalog", input }, (kind, detail) => catalogFailClosed(kind, detail, this.bundle));
  }

  /**
   * A newer bundle took over: stop the workers once they have been idle for
   * RETIRED_LINGER_MS (calls that began under this bundle still ask for
   * output verdicts for a while; after that a late request starts a worker).
   */
  retire(): void {
    this.retired = true;
    this.lingerThenStop();
  }

  private lingerThenStop(): void {
    clearTimeout(this.linger);
    this.linger = setTimeout(() => {
      for (const slot of this.slots) if (!slot.job) void this.stop(slot);
    }, RETIRED_LINGER_MS);
    this.linger.unref();
  }

  /** Stops every worker; queued and running requests fail closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.linger);
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.waiting);
      job.fail("evaluation_error", "the policy engine was closed");
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        const running = slot.job;
        if (running) {
          clearTimeout(running.timer);
          slot.job = undefined;
          running.fail("evaluation_error", "the policy engine was closed");
        }
        await this.stop(slot);
      }),
    );
  }

  private run<T>(request: Job["request"], failed: (kind: FailKind, detail: string) => T): Promise<T> {
    return new Promise<T>((resolve) => {
      if (this.closed) {
        resolve(failed("evaluation_error", "the policy engine was closed"));
        return;
      }
      const job: Job = { request, settle: (result) => resolve(result as T), fail: (kind, detail) => resolve(failed(kind, detail)) };
      this.queue.push(job);
      this.dispatch();
      if (this.queue.includes(job)) job.waiting = setTimeout(() => this.shed(job), this.maxQueueMs);
    });
  }

  /** Hands queued requests to idle workers, starting workers where none runs. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      if (!slot.worker) {
        void this.spawn(slot).catch(() => undefined);
        continue;
      }
      if (!slot.ready) continue;
      const job = this.queue.shift()!;
      clearTimeout(job.waiting);
      const id = this.nextId++;
      // When the timer fires late (this thread was busy or descheduled), a reply may already wait in
      // the port: timers run before I/O in an event loop turn, so look again after I/O (setImmediate).
      const timer = setTimeout(() => setImmediate(() => this.expire(slot, id)), this.timeoutMs);
      slot.job = { ...job, id, timer };
      slot.worker.postMessage({ id, ...job.request } as PolicyWorkerRequest);
    }
  }

  private shed(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index < 0) return;
    if (this.slots.some((slot) => !slot.job)) {
      // A worker is starting (after a timeout, or for a retired bundle), not stuck: keep waiting.
      job.waiting = setTimeout(() => this.shed(job), this.maxQueueMs);
      return;
    }
    this.queue.splice(index, 1);
    job.fail("timeout", `no policy worker was free within ${this.maxQueueMs} ms (every worker was busy with other evaluations)`);
  }

  private expire(slot: Slot, id: number): void {
    const job = slot.job;
    if (!job || job.id !== id) return;
    slot.job = undefined;
    this.timeouts++;
    // The evaluation cannot be interrupted inside WASM; only ending the thread stops it.
    void this.stop(slot);
    job.fail("timeout", `evaluation ran longer than ${this.timeoutMs} ms; its worker was stopped`);
    // Replace it now, not at the next request: loading a bundle takes a while.
    if (!this.retired && !this.closed) void this.spawn(slot).catch(() => undefined);
    this.dispatch();
  }

  private async spawnAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
  }

  private spawn(slot: Slot): Promise<void> {
    const worker = new Worker(workerUrl(), { workerData: this.data });
    worker.unref();
    slot.worker = worker;
    slot.ready = false;
    return new Promise<void>((resolve, reject) => {
      const gone = (detail: string) => {
        if (slot.worker !== worker) return;
        slot.worker = undefined;
        slot.ready = false;
        const job = slot.job;
        if (job) {
          clearTimeout(job.timer);
          slot.job = undefined;
          job.fail("evaluation_error", detail);
        } else if (this.slots.every((s) => !s.worker)) {
          // No worker can load the bundle: nothing queued would ever run.
          for (const queued of this.queue.splice(0)) {
            clearTimeout(queued.waiting);
            queued.fail("evaluation_error", detail);
          }
        }
        reject(new McpgovError("bundle_invalid", `${this.data.path}: the policy worker could not run the bundle: ${detail}`));
        this.dispatch();
      };
      worker.on("message", (reply: PolicyWorkerReply) => {
        if ("ready" in reply) {
          slot.ready = true;
          resolve();
          this.dispatch();
        } else if ("failed" in reply) {
          void worker.terminate();
          gone(reply.failed);
        } else {
          const job = slot.job;
          if (!job || job.id !== reply.id) return;
          clearTimeout(job.timer);
          slot.job = undefined;
          job.settle(reply.result);
          if (this.retired) this.lingerThenStop();
          this.dispatch();
        }
      });
      worker.on("error", (error) => gone(`the policy worker failed: ${error.message}`));
      worker.on("exit", (code) => gone(`the policy worker exited (code ${code})`));
    });
  }

  private async stop(slot: Slot): Promise<void> {
    const worker = slot.worker;
    slot.worker = undefined;
    slot.ready = false;
    if (worker) await worker.terminate();
  }
}
