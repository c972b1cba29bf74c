/**
 * @module A thread of the parallel diff: it loads both bundles (stamps
 * verified) and decides batches of raw corpus lines under each. Every line
 * is parsed and validated once, serialised once, and that one text is
 * evaluated under both bundles. Decisions go back as small numbers: each
 * distinct result set is parsed, validated and sent once (DecisionTable).
 */
import { parentPort, workerData } from "node:worker_threads";
import { inspectBundle } from "../bundle/bundle.js";
import type { Decision } from "../core/decision.js";
import { describeThrown } from "../core/errors.js";
import type { CompiledModules, DecisionMemo } from "../engine/wasm-engine.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { parseEnvelopeLine } from "./envelope-stream.js";
import { lineEnvelope } from "./line-envelope.js";

/** A bundle's files, as a verified Bundle holds them. */
export interface BundleFilesData {
  path: string;
  files: Map<string, Uint8Array>;
  /** Its WASM modules, compiled once by the main thread from the same verified bytes. */
  compiled: CompiledModules;
}

export interface DiffWorkerData {
  base: BundleFilesData;
  head: BundleFilesData;
}

/** Lines joined by "\n" (a line holds no break), to clone one string rather than many. */
export interface DiffWorkerRequest {
  seq: number;
  text: string;
}

/** A decision by its number in this worker's table, or itself when the table is full. */
export type DecisionRef = number | Decision;

/**
 * Two entries per line: base and head decisions, or the bad line's message
 * and either "invalid" (not JSON) or null (JSON, not an envelope).
 * `defined` brings the decisions first numbered in this batch.
 */
export interface DiffWorkerResult {
  seq: number;
  out: (DecisionRef | string | null)[];
  defined: [number, Decision][];
}

export type DiffWorkerReply = { ready: true } | { failed: string } | DiffWorkerResult;

/** Distinct decisions remembered per bundle, by result text; past this, decisions travel whole. */
const TABLE_LIMIT = 4096;

/** One bundle's memo; numbers are shared by both tables so one map on the other side reads them. */
class DecisionTable implements DecisionMemo {
  private readonly byText = new Map<string, Decision>();

  constructor(private readonly numbers: { ids: Map<Decision, number>; defined: [number, Decision][] }) {}

  get(resultText: string): Decision | undefined {
    return this.byText.get(resultText);
  }

  set(resultText: string, decision: Decision): void {
    if (this.byText.size >= TABLE_LIMIT) return;
    this.byText.set(resultText, decision);
    const id = this.numbers.ids.size;
    this.numbers.ids.set(decision, id);
    this.numbers.defined.push([id, decision]);
  }

  ref(decision: Decision): DecisionRef {
    return this.numbers.ids.get(decision) ?? decision;
  }
}

const port = parentPort!;
const data = workerData as DiffWorkerData;

async function load(side: BundleFilesData): Promise<WasmPolicyEngine> {
  // Transferred bytes arrive as Uint8Array; the bundle reader wants Buffers.
  const files = new Map([...side.files].map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
  return WasmPolicyEngine.fromBundle(inspectBundle(side.path, files), { compiled: side.compiled });
}

const NOWHERE = { file: "", line: 0 };

try {
  const [base, head] = await Promise.all([load(data.base), load(data.head)]);
  const numbers = { ids: new Map<Decision, number>(), defined: [] as [number, Decision][] };
  const tables = { base: new DecisionTable(numbers), head: new DecisionTable(numbers) };
  port.on("message", ({ seq, text }: DiffWorkerRequest) => {
    const out: DiffWorkerResult["out"] = [];
    for (const line of text.split("\n")) {
      // Where the line is, the main thread knows; messages never name it.
      const item = parseEnvelopeLine(line, NOWHERE);
      if (item.kind === "invalid") {
        out.push(item.message, "invalid");
        continue;
      }
      const parsed = lineEnvelope(item.value);
      if ("message" in parsed) {
        out.push(parsed.message, null);
        continue;
      }
      const json = JSON.stringify(parsed.envelope);
      out.push(tables.base.ref(base.decideValidJson(json, tables.base)), tables.head.ref(head.decideValidJson(json, tables.head)));
    }
    port.postMessage({ seq, out, defined: numbers.defined.splice(0) } satisfies DiffWorkerReply);
  });
  port.postMessage({ ready: true } satisfies DiffWorkerReply);
} catch (error) {
  port.postMessage({ failed: describeThrown(error) } satisfies DiffWorkerReply);
}
