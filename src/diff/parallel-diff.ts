/**
 * @module The diff on worker threads: this thread streams the corpus as
 * batches of raw lines, workers parse, validate and decide them under both
 * bundles, and this thread folds the answers in corpus order. The report
 * is the one runDiff makes, byte for byte: the same lines, the same
 * messages, the same first bad line, the same examples.
 *
 * Why: nearly all of a diff's time is the two WASM evaluations per
 * envelope, which run on one thread in-process. Here each worker holds
 * both bundles and takes whole batches, so the cores share that work and
 * a message carries a few hundred envelopes.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Bundle } from "../bundle/bundle.js";
import type { Decision } from "../core/decision.js";
import { McpgovError } from "../core/errors.js";
import { compileBundleModules } from "../engine/wasm-engine.js";
import { type BundleSide, DiffAccumulator, type DiffReport, exampleOf } from "./diff.js";
import type { BundleFilesData, DecisionRef, DiffWorkerData, DiffWorkerReply, DiffWorkerResult } from "./diff-worker.js";
import { type BatchLimits, DEFAULT_BATCH, type LineBatch, streamLineBatches } from "./line-batches.js";
import { envelopeFiles, ioError } from "./envelope-stream.js";
import { badLine } from "./run-diff.js";

const WORKER_URL = new URL("./diff-worker.js", import.meta.url);
/** From sources (src/diff, under a test runner), the built worker: run `npm run build` first. */
const BUILT_WORKER_URL = new URL("../../dist/src/diff/diff-worker.js", import.meta.url);
const workerUrl = (): URL => (existsSync(fileURLToPath(WORKER_URL)) ? WORKER_URL : BUILT_WORKER_URL);

/** Batches sent to a worker and not yet answered: one being decided, one waiting, so it never idles. */
const IN_FLIGHT_PER_WORKER = 2;

/** One worker per core, at most 4: past that the reading and folding thread is the limit. */
export const defaultDiffWorkers = (): number => Math.max(1, Math.min(4, availableParallelism()));

/** The total size of a corpus (a file or a folder's .jsonl files), to choose between the paths by. */
export async function corpusBytes(path: string): Promise<number> {
  const sizes = await Promise.all(
    (await envelopeFiles(path)).map((file) =>
      stat(file).then(
        (info) => info.size,
        (cause: unknown) => {
          throw ioError(file, cause);
        },
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

export interface ParallelDiffRun {
  base: { bundle: Bundle; side: BundleSide };
  head: { bundle: Bundle; side: BundleSide };
  /** A JSONL file or a folder of them. */
  envelopes: string;
  examples: number;
  skipInvalid: boolean;
  /** Worker threads; defaultDiffWorkers() when absent. */
  workers?: number;
  batch?: BatchLimits;
}

const filesOf = async (bundle: Bundle): Promise<BundleFilesData> => ({
  path: bundle.path,
  files: new Map([...bundle.files].map(([name, bytes]) => [name, new Uint8Array(bytes)])),
  compiled: await compileBundleModules(bundle),
});

interface DiffThread {
  worker: Worker;
  /** Decisions by the numbers this worker gave them. */
  decisions: Map<number, Decision>;
}

/** Starts a worker and waits until it has loaded both bundles; any failure stops the diff. */
function startThread(
  thread: DiffThread,
  onResult: (thread: DiffThread, result: DiffWorkerResult) => void,
  onFailure: (error: Error) => void,
): Promise<DiffThread> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (error: Error) => (ready ? onFailure(error) : reject(error));
    thread.worker.on("message", (reply: DiffWorkerReply) => {
      if ("ready" in reply) {
        ready = true;
        resolve(thread);
      } else if ("failed" in reply) {
        fail(new McpgovError("bundle_invalid", `diff worker cannot load the bundles: ${reply.failed}`));
      } else {
        onResult(thread, reply);
      }
    });
    // Not an McpgovError: a worker that crashes is a defect, reported as one.
    thread.worker.on("error", (error) => fail(new Error(`diff worker failed: ${error.message}`, { cause: error })));
    thread.worker.on("exit", (code) => fail(new Error(`diff worker stopped (exit code ${code})`)));
  });
}

/** Decides every envelope of the corpus on worker threads; the report equals runDiff's for the same input. */
export async function runDiffInWorkers(run: ParallelDiffRun): Promise<DiffReport> {
  // A missing corpus is reported before any worker starts.
  const files = await envelopeFiles(run.envelopes);
  const accumulator = new DiffAccumulator({ examples: run.examples });
  const data: DiffWorkerData = { base: await filesOf(run.base.bundle), head: await filesOf(run.head.bundle) };
  const count = Math.max(1, run.workers ?? defaultDiffWorkers());

  // Answers arrive in any order; they are folded in the order the batches were read.
  const sent = new Map<number, { batch: LineBatch; thread: DiffThread }>();
  const answered = new Map<number, DiffWorkerResult>();
  let folded = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const onResult = (thread: DiffThread, result: DiffWorkerResult) => {
    for (const [id, decision] of result.defined) thread.decisions.set(id, decision);
    answered.set(result.seq, result);
    notify();
  };
  const onFailure = (error: Error) => {
    failure ??= error;
    notify();
  };

  const threads: DiffThread[] = Array.from({ length: count }, () => ({ worker: new Worker(workerUrl(), { workerData: data }), decisions: new Map() }));
  const started = await Promise.allSettled(threads.map((thread) => startThread(thread, onResult, onFailure)));
  try {
    const refused = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (refused) throw refused.reason;

    const fold = (seq: number) => {
      const { batch, thread } = sent.get(seq)!;
      const { out } = answered.get(seq)!;
      sent.delete(seq);
      answered.delete(seq);
      const decision = (ref: DecisionRef | string | null): Decision => (typeof ref === "number" ? thread.decisions.get(ref)! : (ref as Decision));
      for (let i = 0; i < batch.lines.length; i++) {
        const where = { file: batch.file, line: batch.numbers[i]! };
        const first = out[2 * i];
        if (typeof first === "string") {
          // A line that is not JSON is listed as runDiff lists it: the stream's item, `kind` and all.
          const line = out[2 * i + 1] === "invalid" ? { kind: "invalid" as const, ...where, message: first } : { ...where, message: first };
          if (!run.skipInvalid) throw badLine(line);
          accumulator.skip(line);
          continue;
        }
        // Only a kept example needs the envelope: the line is parsed again then.
        accumulator.addPair(decision(first!), decision(out[2 * i + 1]!), () => exampleOf(JSON.parse(batch.lines[i]!), where));
      }
    };
    /** Folds every answer that is next in order; waits for one when `until` is not yet met. */
    const drain = async (until: () => boolean) => {
      for (;;) {
        if (failure) throw failure;
        while (answered.has(folded)) fold(folded++);
        if (until()) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };

    let seq = 0;
    for await (const batch of streamLineBatches(files, run.batch ?? DEFAULT_BATCH)) {
      await drain(() => seq - folded < count * IN_FLIGHT_PER_WORKER);
      // Round robin: batches are alike in size, so the workers stay alike in load.
      const thread = threads[seq % threads.length]!;
      sent.set(seq, { batch, thread });
      thread.worker.postMessage({ seq, text: batch.lines.join("\n") });
      seq++;
    }
    const total = seq;
    await drain(() => folded === total);
    return accumulator.report(run.base.side, run.head.side);
  } finally {
    await Promise.all(
      threads.map((thread) => {
        thread.worker.removeAllListeners("exit");
        return thread.worker.terminate();
      }),
    );
  }
}
