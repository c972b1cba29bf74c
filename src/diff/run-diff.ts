/**
 * @module Runs a diff: every envelope of a stream is decided under both
 * engines and the pair is folded into a DiffAccumulator; with parity, the
 * head is also decided on OPA's topdown and differences counted apart.
 */
import { McpgovError } from "../core/errors.js";
import type { Decision } from "../core/decision.js";
import type { DecisionMemo, WasmPolicyEngine } from "../engine/wasm-engine.js";
import { decideOnTopdown, decisionDifferences } from "../testing/parity.js";
import type { TopdownEvaluator } from "../toolchain/topdown.js";
import { type BundleSide, DiffAccumulator, type DiffReport, exampleOf, type SkippedLine } from "./diff.js";
import type { EnvelopeLine } from "./envelope-stream.js";
import { lineEnvelope } from "./line-envelope.js";

export interface DiffRun {
  base: { engine: WasmPolicyEngine; side: BundleSide };
  head: { engine: WasmPolicyEngine; side: BundleSide };
  envelopes: AsyncIterable<EnvelopeLine>;
  /** Examples kept per transition. */
  examples: number;
  /** Count bad lines as skipped instead of stopping at the first. */
  skipInvalid: boolean;
  /** With --parity: OPA's topdown over the head policy's sources, to decide every envelope on as well. */
  parity?: TopdownEvaluator;
}

export function badLine(line: SkippedLine): McpgovError {
  return new McpgovError("input_invalid", `${line.file}:${line.line}: ${line.message} (use --skip-invalid to count such lines as skipped)`);
}

/** Distinct results remembered per bundle; a corpus repeats few, and past the limit decisions are made anew. */
function boundedMemo(limit = 4096): DecisionMemo {
  const byText = new Map<string, Decision>();
  return {
    get: (text) => byText.get(text),
    set: (text, decision) => {
      if (byText.size < limit) byText.set(text, decision);
    },
  };
}

export async function runDiff(run: DiffRun): Promise<DiffReport> {
  const accumulator = new DiffAccumulator({ examples: run.examples });
  const memos = { base: boundedMemo(), head: boundedMemo() };
  const reject = (line: SkippedLine) => {
    if (!run.skipInvalid) throw badLine(line);
    accumulator.skip(line);
  };
  for await (const item of run.envelopes) {
    if (item.kind === "invalid") {
      reject(item);
      continue;
    }
    const parsed = lineEnvelope(item.value);
    if ("message" in parsed) {
      reject({ file: item.file, line: item.line, message: parsed.message });
      continue;
    }
    // One serialisation serves both bundles; each distinct result is parsed and checked once.
    const json = JSON.stringify(parsed.envelope);
    const head = run.head.engine.decideValidJson(json, memos.head);
    accumulator.add(run.base.engine.decideValidJson(json, memos.base), head, item.value, item);
    if (run.parity) {
      const topdown = await decideOnTopdown(run.parity, parsed.envelope, head.bundle);
      const { bundle: _a, ...wasmSide } = head;
      const { bundle: _b, ...topdownSide } = topdown;
      const fields = decisionDifferences(wasmSide, topdownSide).map((d) => d.field);
      accumulator.parity(exampleOf(item.value, item), fields, head, topdown);
    }
  }
  return accumulator.report(run.base.side, run.head.side);
}
