/**
 * @module A lean call into an OPA WASM module (ABI ≥ 1.2's one-call opa_eval).
 *
 * The SDK's evaluate() allocates a TextEncoder, a TextDecoder and two
 * memory views per call and finds the end of the result byte by byte; on
 * a small envelope that glue costs as much as the policy. This path writes
 * the input straight into WASM memory and reads the result with native
 * searches. Loading, data and builtins still go through the SDK.
 */
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PAGE = 64 * 1024;

interface OpaExports {
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: number): number;
}

export type Evaluate = (inputJson: string) => unknown;

/** Evaluates and returns the result set as the module wrote it (JSON text), unparsed. */
export type EvaluateText = (inputJson: string) => string;

export function fastEvaluator(policy: LoadedPolicy, entrypointId: number): Evaluate {
  const minor = Number(policy.minorVersion);
  if (!(minor >= 2)) return (inputJson) => policy.evaluate(encoder.encode(inputJson).buffer, entrypointId);
  const evaluateText = textEvaluator(policy, entrypointId);
  return (inputJson) => JSON.parse(evaluateText(inputJson));
}

/**
 * As fastEvaluator, but the result set comes back as text: a caller that
 * sees the same result many times (a diff over a corpus) can recognise it
 * by its text and skip parsing and validating it again. Before ABI 1.2 the
 * SDK's parsed result is serialised again, which gives the same JSON value.
 */
export function textEvaluator(policy: LoadedPolicy, entrypointId: number): EvaluateText {
  const minor = Number(policy.minorVersion);
  // An undefined result set reads as null, which callers treat as undefined too.
  if (!(minor >= 2)) return (inputJson) => JSON.stringify(policy.evaluate(encoder.encode(inputJson).buffer, entrypointId)) ?? "null";

  const exports = (policy.wasmInstance as unknown as { exports: OpaExports }).exports;
  const memory = policy.mem;
  let view = new Uint8Array(memory.buffer);

  return (inputJson) => {
    const inputAddr = policy.dataHeapPtr as number;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const needed = inputAddr + inputJson.length * 3 + 1;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer);
    const { written } = encoder.encodeInto(inputJson, view.subarray(inputAddr));
    const resultAddr = exports.opa_eval(0, entrypointId, policy.dataAddr, inputAddr, written, inputAddr + written, 0);
    // Evaluation may have grown memory, which detaches the old view.
    if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer);
    const end = view.indexOf(0, resultAddr);
    return decoder.decode(view.subarray(resultAddr, end));
  };
}
