/** @module WasmPolicyEngine: evaluates envelopes in-process on a verified OPA WASM bundle. */
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { type CatalogDecision, catalogFailClosed, CatalogPolicyInputSchema, CatalogPolicyResultSchema, catalogWithoutPolicy } from "../core/catalog-decision.js";
import { type BundleRef, type Decision, failClosed, PolicyResultSchema } from "../core/decision.js";
import { type Envelope, parseAnyEnvelope } from "../core/envelope.js";
import { egressOfArguments } from "../core/egress-of.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { type OutputDecision, outputFailClosed, type OutputPolicyInput, OutputPolicyInputSchema, OutputPolicyResultSchema } from "../core/output-decision.js";
import { assertStampMatches, type Bundle, readBundle } from "../bundle/bundle.js";
import { parseJsonFile } from "../bundle/hash.js";
import { inputPathsOf, wasmEntrypointsOf } from "../bundle/manifest.js";
import { decisionInputText, type InputPaths } from "../core/input-projection.js";
import { CATALOG_ENTRYPOINT, DECISION_ENTRYPOINT, OUTPUT_ENTRYPOINT, type PolicyEngine } from "./policy-engine.js";
import { type HostBuiltins, hostBuiltins } from "./host-builtins.js";
import { type Evaluate, type EvaluateText, fastEvaluator, textEvaluator } from "./wasm-eval.js";

/**
 * Decisions remembered by the text of the result set they came from. A
 * decision is a function of that text (and the bundle) alone, so a caller
 * deciding a large corpus parses and validates each distinct result once.
 * A remembered decision is shared by every call that returns it: read only.
 */
export interface DecisionMemo {
  get(resultText: string): Decision | undefined;
  set(resultText: string, decision: Decision): void;
}

/** A compiled WebAssembly.Module; opaque here (the project's typings carry no WebAssembly namespace). */
export type CompiledModule = object;

/** A bundle's WASM modules compiled ahead, by file name in the bundle (e.g. `policy.wasm`). */
export type CompiledModules = ReadonlyMap<string, CompiledModule>;

const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledModule> } }).WebAssembly;

/**
 * Compiles every WASM module of a verified bundle once. A compiled module
 * can be sent to worker threads, which then instantiate it instead of
 * compiling it again, and share the code V8 optimises as it runs.
 */
export async function compileBundleModules(bundle: Bundle): Promise<CompiledModules> {
  const compiled = new Map<string, CompiledModule>();
  for (const { module } of wasmEntrypointsOf(bundle.manifest)) {
    const name = module.replace(/^\/+/, "");
    const wasm = bundle.files.get(name);
    if (wasm && !compiled.has(name)) compiled.set(name, await wasmApi.compile(wasm));
  }
  return compiled;
}

/** Compiles a bundle's WASM module for one entrypoint (or takes it from `compiled`) and loads its data. */
export async function loadWasmPolicy(
  bundle: Bundle,
  entrypoint: string,
  builtins: HostBuiltins = {},
  compiled?: CompiledModules,
): Promise<{ policy: LoadedPolicy; entrypointId: number }> {
  const wasmEntry = wasmEntrypointsOf(bundle.manifest).find((w) => w.entrypoint === entrypoint);
  if (!wasmEntry) {
    const known = wasmEntrypointsOf(bundle.manifest).map((w) => w.entrypoint).join(", ") || "none";
    throw new McpgovError("bundle_invalid", `${bundle.path}: no WASM module for entrypoint ${entrypoint} (bundle has: ${known})`);
  }
  const moduleName = wasmEntry.module.replace(/^\/+/, "");
  const wasm = bundle.files.get(moduleName);
  if (!wasm) throw new McpgovError("bundle_invalid", `${bundle.path}: manifest names ${wasmEntry.module} but the bundle has no such file`);
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(compiled?.get(moduleName) ?? wasm, undefined, hostBuiltins(builtins));
    const data = bundle.files.get("data.json");
    policy.setData(data ? (parseJsonFile("data.json", data) as object) : {});
  } catch (thrown) {
    if (thrown instanceof McpgovError) throw thrown;
    throw new McpgovError("bundle_invalid", `${bundle.path}: cannot load ${moduleName}: ${describeThrown(thrown)}`, { cause: thrown });
  }
  const entrypointId = exportedEntrypoint(policy, entrypoint);
  if (entrypointId === undefined) {
    throw new McpgovError("bundle_invalid", `${bundle.path}: ${moduleName} does not export entrypoint ${entrypoint}`);
  }
  return { policy, entrypointId };
}

const exportedEntrypoint = (policy: LoadedPolicy, entrypoint: string): number | undefined => (policy.entrypoints as Record<string, number>)[entrypoint];

const moduleOf = (bundle: Bundle, entrypoint: string): string | undefined => wasmEntrypointsOf(bundle.manifest).find((w) => w.entrypoint === entrypoint)?.module;

/**
 * The evaluator of a secondary entrypoint (output, catalog), or undefined
 * when the bundle has none (a bundle built before that policy, or a raw
 * OPA build). `opa build` puts every entrypoint in one policy.wasm, so the
 * decision's instance is reused; a bundle that splits them gets its own.
 */
async function secondaryEvaluator(
  bundle: Bundle,
  decisionPolicy: LoadedPolicy,
  entrypoint: string,
  builtins: HostBuiltins,
  compiled: CompiledModules | undefined,
): Promise<Evaluate | undefined> {
  const module = moduleOf(bundle, entrypoint);
  if (module === undefined) return undefined;
  const shared = module === moduleOf(bundle, DECISION_ENTRYPOINT) ? exportedEntrypoint(decisionPolicy, entrypoint) : undefined;
  if (shared !== undefined) return fastEvaluator(decisionPolicy, shared);
  const { policy, entrypointId } = await loadWasmPolicy(bundle, entrypoint, builtins, compiled);
  return fastEvaluator(policy, entrypointId);
}

export class WasmPolicyEngine implements PolicyEngine {
  readonly bundle: BundleRef;

  private readonly evaluate: EvaluateText;

  private readonly evaluateOutput: Evaluate | undefined;

  private readonly evaluateCatalog: Evaluate | undefined;

  /** What of an envelope the decision policy reads; the rest is never serialised for WASM. */
  private readonly decisionInput: InputPaths;

  private constructor(
    policy: LoadedPolicy,
    entrypointId: number,
    bundle: BundleRef,
    secondary: { output: Evaluate | undefined; catalog: Evaluate | undefined },
    decisionInput: InputPaths,
  ) {
    this.bundle = bundle;
    this.decisionInput = decisionInput;
    this.evaluate = textEvaluator(policy, entrypointId);
    this.evaluateOutput = secondary.output;
    this.evaluateCatalog = secondary.catalog;
  }

  /**
   * Loads a bundle that has already been read; refuses it unless its stamp
   * matches its content. `compiled`: the bundle's modules, compiled from
   * these verified bytes by compileBundleModules (in this or another thread).
   */
  static async fromBundle(bundle: Bundle, options: { builtins?: HostBuiltins; compiled?: CompiledModules } = {}): Promise<WasmPolicyEngine> {
    assertStampMatches(bundle);
    const decisionInput = inputPathsOf(bundle.manifest, DECISION_ENTRYPOINT);
    if ("error" in decisionInput) throw new McpgovError("bundle_invalid", `${bundle.path}: ${decisionInput.error}`);
    const builtins = options.builtins ?? {};
    const { policy, entrypointId } = await loadWasmPolicy(bundle, DECISION_ENTRYPOINT, builtins, options.compiled);
    const output = await secondaryEvaluator(bundle, policy, OUTPUT_ENTRYPOINT, builtins, options.compiled);
    const catalog = await secondaryEvaluator(bundle, policy, CATALOG_ENTRYPOINT, builtins, options.compiled);
    return new WasmPolicyEngine(policy, entrypointId, { hash: bundle.hash, revision: bundle.manifest.revision }, { output, catalog }, decisionInput.paths);
  }

  /** `builtins` replace mcpgov's host builtins by name (tests plant a disagreement this way). */
  static async fromFile(path: string, options: { builtins?: HostBuiltins } = {}): Promise<WasmPolicyEngine> {
    return WasmPolicyEngine.fromBundle(await readBundle(path), options);
  }

  decide(envelope: unknown): Decision {
    // v1 envelopes (recorded traffic, old case files) are upgraded first, so they decide as live v2 traffic.
    const input = parseAnyEnvelope(envelope, egressOfArguments);
    if (!input.success) return failClosed("invalid_envelope", describeIssues(input.error), this.bundle);
    return this.decideValid(input.data);
  }

  decideValid(envelope: Envelope): Decision {
    let text: string;
    try {
      text = decisionInputText(envelope, this.decisionInput);
    } catch (thrown) {
      return failClosed("evaluation_error", describeThrown(thrown), this.bundle);
    }
    return this.decideInputText(text);
  }

  /**
   * As decideValid, for the JSON text of a whole envelope that passed
   * EnvelopeSchema (JSON.stringify of parseAnyEnvelope's data): one
   * serialisation serves several bundles (a diff's two, whose input paths
   * may differ, so the whole envelope goes in; the policy reads the same
   * values either way). With `memo`, a result set seen before returns the
   * decision made from it then. Never throws.
   */
  decideValidJson(envelopeJson: string, memo?: DecisionMemo): Decision {
    return this.decideInputText(envelopeJson, memo);
  }

  /**
   * Decides on the JSON text decisionInputText made of a valid envelope
   * under this bundle's input paths (a policy worker gets the text, so the
   * gateway thread never clones parts of the envelope the policy does not
   * read), or on a whole valid envelope's text.
   */
  decideInputText(text: string, memo?: DecisionMemo): Decision {
    let resultText: string;
    let resultSet: unknown;
    try {
      // The instance is not re-entrant; evaluate is synchronous, so no
      // other decision can interleave with this one on this thread.
      resultText = this.evaluate(text);
      const known = memo?.get(resultText);
      if (known) return known;
      resultSet = JSON.parse(resultText);
    } catch (thrown) {
      return failClosed("evaluation_error", describeThrown(thrown), this.bundle);
    }
    const decision = this.decisionOf(resultSet);
    memo?.set(resultText, decision);
    return decision;
  }

  private decisionOf(resultSet: unknown): Decision {
    const first = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown } | undefined) : undefined;
    if (first === undefined || first.result === undefined) {
      return failClosed("undefined_result", `entrypoint ${DECISION_ENTRYPOINT} is undefined for this input`, this.bundle);
    }
    const result = PolicyResultSchema.safeParse(first.result);
    if (!result.success) return failClosed("invalid_result", describeIssues(result.error), this.bundle);
    return { ...result.data, bundle: this.bundle };
  }

  /**
   * Decides what happens to a tool's output (see OutputPolicyInputSchema).
   * Never throws: anything that keeps the output policy from deciding is a
   * QUARANTINE whose reason says what happened.
   */
  decideOutput(input: unknown): OutputDecision {
    const parsed = OutputPolicyInputSchema.safeParse(input);
    if (!parsed.success) return outputFailClosed("invalid_input", describeIssues(parsed.error), this.bundle);
    return this.decideOutputValid(parsed.data);
  }

  decideOutputValid(input: OutputPolicyInput): OutputDecision {
    if (!this.evaluateOutput) return outputFailClosed("missing_entrypoint", `the bundle has no WASM entrypoint ${OUTPUT_ENTRYPOINT}`, this.bundle);
    let resultSet: unknown;
    try {
      resultSet = this.evaluateOutput(JSON.stringify(input));
    } catch (thrown) {
      return outputFailClosed("evaluation_error", describeThrown(thrown), this.bundle);
    }
    const first = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown } | undefined) : undefined;
    if (first === undefined || first.result === undefined) {
      return outputFailClosed("undefined_result", `entrypoint ${OUTPUT_ENTRYPOINT} is undefined for this input`, this.bundle);
    }
    const result = OutputPolicyResultSchema.safeParse(first.result);
    if (!result.success) return outputFailClosed("invalid_result", describeIssues(result.error), this.bundle);
    return { ...result.data, bundle: this.bundle };
  }

  /**
   * Decides whether a definition is offered (see CatalogPolicyInputSchema).
   * Never throws: anything that keeps the catalog policy from deciding is
   * a HIDE whose reason says what happened. Without a catalog entrypoint
   * (an older bundle) see catalogWithoutPolicy: findings hide, none pass.
   */
  decideCatalog(input: unknown): CatalogDecision {
    const parsed = CatalogPolicyInputSchema.safeParse(input);
    if (!parsed.success) return catalogFailClosed("invalid_input", describeIssues(parsed.error), this.bundle);
    if (!this.evaluateCatalog) return catalogWithoutPolicy(parsed.data, this.bundle);
    let resultSet: unknown;
    try {
      resultSet = this.evaluateCatalog(JSON.stringify(parsed.data));
    } catch (thrown) {
      return catalogFailClosed("evaluation_error", describeThrown(thrown), this.bundle);
    }
    const first = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown } | undefined) : undefined;
    if (first === undefined || first.result === undefined) {
      return catalogFailClosed("undefined_result", `entrypoint ${CATALOG_ENTRYPOINT} is undefined for this input`, this.bundle);
    }
    const result = CatalogPolicyResultSchema.safeParse(first.result);
    if (!result.success) return catalogFailClosed("invalid_result", describeIssues(result.error), this.bundle);
    return { ...result.data, bundle: this.bundle };
  }
}
