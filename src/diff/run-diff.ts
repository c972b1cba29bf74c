/**
 * @module Runs a diff: every envelope of a stream is decided under both
 * engines and the pair is folded into a DiffAccumulator; with parity, the
 * head is also decided on OPA's topdown and differences counted apart.
 */
import { parseAnyEnvelope } from "../core/envelope.js";
import { egressOfArguments } from "../core/egress-of.js";
import { McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import type { PolicyEngine } from "../engine/policy-engine.js";
import { decideOnTopdown, decisionDifferences } from "../testing/parity.js";
import type { TopdownEvaluator } from "../toolchain/topdown.js";
import { type BundleSide, DiffAccumulator, type DiffReport, exampleOf, type SkippedLine } from "./diff.js";
import type { EnvelopeLine } from "./envelope-stream.js";

export interface DiffRun {
  base: { engine: PolicyEngine; side: BundleSide };
  head: { engine: PolicyEngine; side: BundleSide };
  envelopes: AsyncIterable<EnvelopeLine>;
  /** Examples kept per transition. */
  examples: number;
  /** Count bad lines as skipped instead of stopping at the first. */
  skipInvalid: boolean;
  /** With --parity: OPA's topdown over the head policy's sources, to decide every envelope on as well. */
  parity?: TopdownEvaluator;
}

function badLine(line: SkippedLine): McpgovError {
  return new McpgovError("input_invalid", `${line.file}:${line.line}: ${line.message} (use --skip-invalid to count such lines as skipped)`);
}

export async function runDiff(run: DiffRun): Promise<DiffReport> {
  const accumulator = new DiffAccumulator({ examples: run.examples });
  const reject = (line: SkippedLine) => {
    if (!run.skipInvalid) throw badLine(line);
    accumulator.skip(line);
  };
  for await (const item of run.envelopes) {
    if (item.kind === "invalid") {
      reject(item);
      continue;
    }
    // Validated (and a v1 envelope upgraded) once for both engines. An
    // invalid envelope would be a DENY on each side and read as "unchanged",
    // hiding a broken corpus; it is a bad line.
    const parsed = parseAnyEnvelope(item.value, egressOfArguments);
    if (!parsed.success) {
      reject({ file: item.file, line: item.line, message: `not a v1 or v2 envelope: ${describeIssues(parsed.error)}` });
      continue;
    }
    const head = run.head.engine.decideValid(parsed.data);
    accumulator.add(run.base.engine.decideValid(parsed.data), head, item.value, item);
    if (run.parity) {
      const topdown = await decideOnTopdown(run.parity, parsed.data, head.bundle);
      const { bundle: _a, ...wasmSide } = head;
      const { bundle: _b, ...topdownSide } = topdown;
      const fields = decisionDifferences(wasmSide, topdownSide).map((d) => d.field);
      accumulator.parity(exampleOf(item.value, item), fields, head, topdown);
    }
  }
  return accumulator.report(run.base.side, run.head.side);
}
