/** @module WasmPolicyEngine: evaluates envelopes in-process on a verified OPA WASM bundle. */
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { type BundleRef, type Decision, failClosed, PolicyResultSchema } from "../core/decision.js";
import { type Envelope, EnvelopeSchema } from "../core/envelope.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { assertStampMatches, type Bundle, readBundle } from "../bundle/bundle.js";
import { parseJsonFile } from "../bundle/hash.js";
import { DECISION_ENTRYPOINT, type PolicyEngine } from "./policy-engine.js";
import { type Evaluate, fastEvaluator } from "./wasm-eval.js";

/** Compiles a bundle's WASM module for one entrypoint and loads its data. */
export async function loadWasmPolicy(bundle: Bundle, entrypoint: string): Promise<{ policy: LoadedPolicy; entrypointId: number }> {
  const wasmEntry = bundle.manifest.wasm?.find((w) => w.entrypoint === entrypoint);
  if (!wasmEntry) {
    const known = bundle.manifest.wasm?.map((w) => w.entrypoint).join(", ") || "none";
    throw new McpgovError("bundle_invalid", `${bundle.path}: no WASM module for entrypoint ${entrypoint} (bundle has: ${known})`);
  }
  const moduleName = wasmEntry.module.replace(/^\/+/, "");
  const wasm = bundle.files.get(moduleName);
  if (!wasm) throw new McpgovError("bundle_invalid", `${bundle.path}: manifest names ${wasmEntry.module} but the bundle has no such file`);
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(wasm);
    const data = bundle.files.get("data.json");
    policy.setData(data ? (parseJsonFile("data.json", data) as object) : {});
  } catch (thrown) {
    if (thrown instanceof McpgovError) throw thrown;
    throw new McpgovError("bundle_invalid", `${bundle.path}: cannot load ${moduleName}: ${describeThrown(thrown)}`, { cause: thrown });
  }
  const entrypointId = (policy.entrypoints as Record<string, number>)[entrypoint];
  if (entrypointId === undefined) {
    throw new McpgovError("bundle_invalid", `${bundle.path}: ${moduleName} does not export entrypoint ${entrypoint}`);
  }
  return { policy, entrypointId };
}

export class WasmPolicyEngine implements PolicyEngine {
  readonly bundle: BundleRef;

  private readonly evaluate: Evaluate;

  private constructor(policy: LoadedPolicy, entrypointId: number, bundle: BundleRef) {
    this.bundle = bundle;
    this.evaluate = fastEvaluator(policy, entrypointId);
  }

  /** Loads a bundle that has already been read; refuses it unless its stamp matches its content. */
  static async fromBundle(bundle: Bundle): Promise<WasmPolicyEngine> {
    assertStampMatches(bundle);
    const { policy, entrypointId } = await loadWasmPolicy(bundle, DECISION_ENTRYPOINT);
    return new WasmPolicyEngine(policy, entrypointId, { hash: bundle.hash, revision: bundle.manifest.revision });
  }

  static async fromFile(path: string): Promise<WasmPolicyEngine> {
    return WasmPolicyEngine.fromBundle(await readBundle(path));
  }

  decide(envelope: unknown): Decision {
    const input = EnvelopeSchema.safeParse(envelope);
    if (!input.success) return failClosed("invalid_envelope", describeIssues(input.error), this.bundle);
    return this.decideValid(input.data);
  }

  decideValid(envelope: Envelope): Decision {
    let resultSet: unknown;
    try {
      // The instance is not re-entrant; evaluate is synchronous, so no
      // other decision can interleave with this one on this thread.
      resultSet = this.evaluate(JSON.stringify(envelope));
    } catch (thrown) {
      return failClosed("evaluation_error", describeThrown(thrown), this.bundle);
    }

    const first = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown } | undefined) : undefined;
    if (first === undefined || first.result === undefined) {
      return failClosed("undefined_result", `entrypoint ${DECISION_ENTRYPOINT} is undefined for this input`, this.bundle);
    }
    const result = PolicyResultSchema.safeParse(first.result);
    if (!result.success) return failClosed("invalid_result", describeIssues(result.error), this.bundle);
    return { ...result.data, bundle: this.bundle };
  }
}
