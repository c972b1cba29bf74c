/**
 * @module The thread a WorkerPolicyEngine evaluates in: it verifies and
 * loads the bundle it is given into a WasmPolicyEngine, then answers one
 * request at a time. A request that runs long blocks only this thread; the
 * engine terminates it at the deadline.
 */
import { parentPort, workerData } from "node:worker_threads";
import { inspectBundle } from "../bundle/bundle.js";
import { describeThrown } from "../core/errors.js";
import type { OutputPolicyInput } from "../core/output-decision.js";
import { WasmPolicyEngine } from "./wasm-engine.js";

export interface PolicyWorkerData {
  path: string;
  files: Map<string, Uint8Array>;
}

export type PolicyWorkerRequest =
  /** input: the envelope as decisionInputText gives it (the parts the policy reads, as JSON). */
  | { id: number; op: "decide"; input: string }
  | { id: number; op: "output"; input: OutputPolicyInput }
  | { id: number; op: "catalog"; input: unknown };

export type PolicyWorkerReply = { ready: string } | { failed: string } | { id: number; result: unknown };

const port = parentPort!;
const data = workerData as PolicyWorkerData;

try {
  // Transferred bytes arrive as Uint8Array; the bundle reader wants Buffers.
  const files = new Map([...data.files].map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
  const engine = await WasmPolicyEngine.fromBundle(inspectBundle(data.path, files));
  port.on("message", (request: PolicyWorkerRequest) => {
    const result =
      request.op === "decide" ? engine.decideInputText(request.input) : request.op === "output" ? engine.decideOutputValid(request.input) : engine.decideCatalog(request.input);
    port.postMessage({ id: request.id, result } satisfies PolicyWorkerReply);
  });
  port.postMessage({ ready: engine.bundle.hash } satisfies PolicyWorkerReply);
} catch (error) {
  port.postMessage({ failed: describeThrown(error) } satisfies PolicyWorkerReply);
}
