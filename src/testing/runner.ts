/**
 * @module `mcpgov test` as a library call: the Rego unit tests under the
 * real `opa test`, the recorded-envelope cases on the compiled WASM bundle
 * (the engine the gateway runs) and, for parity, on OPA's topdown over the
 * same sources, and rule coverage over both.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import type { BundleRef, Decision } from "../core/decision.js";
import { egressOfArguments } from "../core/egress-of.js";
import { parseAnyEnvelope } from "../core/envelope.js";
import { McpgovError } from "../core/errors.js";
import type { HostBuiltins } from "../engine/host-builtins.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { buildBundle } from "../toolchain/build.js";
import { displayPath } from "../toolchain/diagnostics.js";
import { passingTestsPattern, runRegoCoverage, runRegoTests } from "../toolchain/opa-test.js";
import { declaredRules } from "../toolchain/rule-inventory.js";
import { libraryDir, stagePolicy } from "../toolchain/stage.js";
import { startTopdown, type TopdownEvaluator } from "../toolchain/topdown.js";
import { findCaseFiles, loadCases, type TestCase } from "./cases.js";
import { compareDecision } from "./expectation.js";
import type { CaseResult, TestRun } from "./results.js";
import { decideOnTopdown, decisionDifferences, rulesInDispute } from "./parity.js";
import { ruleCoverage } from "./rule-coverage.js";

export interface TestRunOptions {
  policyDir: string;
  /** Case files or folders; none means every case file under policyDir. */
  casePaths?: readonly string[];
  /** A regular expression; only Rego tests (by full name) and cases (by name) that match run. */
  run?: string;
  /** Percent of declared rules that must be exercised. */
  coverageThreshold?: number;
  /** Also decide every case on OPA's topdown and fail on any difference (default true). */
  parity?: boolean;
  /** Replace host builtins of the WASM engine by name (tests plant a disagreement this way). */
  hostBuiltins?: HostBuiltins;
  /** Told what the run is doing ("building the bundle"), for a progress line; never affects results. */
  onStage?: (stage: string) => void;
  /** Told after each case is decided, for a progress line. */
  onCase?: (done: number, total: number) => void;
}

function compilePattern(run: string | undefined): RegExp | undefined {
  if (run === undefined) return undefined;
  try {
    return new RegExp(run);
  } catch (cause) {
    throw new McpgovError("usage", `--run: invalid regular expression: ${(cause as Error).message}`, { cause });
  }
}

async function assertDirectory(dir: string): Promise<void> {
  const isDirectory = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new McpgovError("io_error", `policy directory not found: ${displayPath(dir)}`);
}

function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === "rejected") throw outcome.reason;
  return outcome.value;
}

interface CaseRunOptions {
  /** A staged copy of the policy for topdown, when parity is checked. */
  parityDir?: string;
  hostBuiltins?: HostBuiltins;
  onCase?: (done: number, total: number) => void;
  onStage?: (stage: string) => void;
}

/** The decision topdown makes for a case, or undefined when the envelope is invalid (both sides then fail closed alike, before any policy runs). */
async function topdownFor(topdown: TopdownEvaluator | undefined, envelope: unknown, bundle: BundleRef): Promise<Omit<Decision, "bundle"> | undefined> {
  if (!topdown) return undefined;
  const parsed = parseAnyEnvelope(envelope, egressOfArguments);
  if (!parsed.success) return undefined;
  const { bundle: _bundle, ...decision } = await decideOnTopdown(topdown, parsed.data, bundle);
  return decision;
}

/**
 * Builds the bundle exactly as `mcpgov build` does and decides every case
 * with the WASM engine and, with parity, with OPA's topdown on the same
 * sources and the same input text.
 */
async function runCases(policyDir: string, bundleFile: string, cases: readonly TestCase[], options: CaseRunOptions): Promise<{ hash: string; results: CaseResult[] }> {
  const built = await buildBundle({ policyDir, output: bundleFile });
  options.onStage?.(`bundle built; deciding ${cases.length} case(s)${options.parityDir !== undefined ? " on WASM and OPA topdown" : ""}`);
  const engine = await WasmPolicyEngine.fromFile(built.output, options.hostBuiltins ? { builtins: options.hostBuiltins } : {});
  const topdown = options.parityDir !== undefined && cases.length > 0 ? await startTopdown(options.parityDir) : undefined;
  try {
    const results: CaseResult[] = [];
    for (const testCase of cases) {
      const started = process.hrtime.bigint();
      const { bundle: _bundle, ...actual } = engine.decide(testCase.envelope);
      const durationNs = Number(process.hrtime.bigint() - started);
      const mismatches = compareDecision(testCase.expect, actual);
      const other = await topdownFor(topdown, testCase.envelope, engine.bundle);
      const differences = other ? decisionDifferences(actual, other) : [];
      for (const d of differences) mismatches.push({ field: `parity.${d.field}`, expected: d.topdown, actual: d.wasm, parity: true });
      results.push({
        name: testCase.name,
        file: testCase.file,
        line: testCase.line,
        status: mismatches.length === 0 ? "pass" : "fail",
        durationNs,
        mismatches,
        actual,
        ...(other ? { parity: { topdown: other, agree: differences.length === 0, rulesInDispute: rulesInDispute(actual, other) } } : {}),
      });
      options.onCase?.(results.length, cases.length);
    }
    return { hash: built.hash, results };
  } finally {
    await topdown?.close();
  }
}

/** Throws (exit 1) on anything that stops the run: bad case files, a policy or test that does not compile. */
export async function runPolicyTests(options: TestRunOptions): Promise<TestRun> {
  const policyDir = resolve(options.policyDir);
  const pattern = compilePattern(options.run);
  await assertDirectory(policyDir);
  const explicit = options.casePaths !== undefined && options.casePaths.length > 0;
  const caseFiles = await findCaseFiles(explicit ? options.casePaths! : [policyDir]);
  const cases = (await loadCases(caseFiles)).filter((c) => !pattern || pattern.test(c.name));

  const parity = options.parity ?? true;
  const work = await mkdtemp(join(tmpdir(), "mcpgov-test-"));
  const library = libraryDir() + sep;
  try {
    const staged = await stagePolicy(policyDir);
    try {
      const shownDir = displayPath(policyDir);
      options.onStage?.(`building the bundle and running opa test on ${shownDir}`);
      const run = options.run !== undefined ? { run: options.run } : {};
      const [casesOutcome, regoOutcome, rulesOutcome, coverageOutcome] = await Promise.allSettled([
        runCases(policyDir, join(work, "bundle.tar.gz"), cases, {
          ...(parity ? { parityDir: staged.dir } : {}),
          ...(options.onCase ? { onCase: options.onCase } : {}),
          ...(options.onStage ? { onStage: options.onStage } : {}),
          ...(options.hostBuiltins ? { hostBuiltins: options.hostBuiltins } : {}),
        }),
        runRegoTests(staged, { policyDir: shownDir, ...run }),
        declaredRules(staged, { policyDir, isLibrary: (origin) => origin.startsWith(library) }),
        runRegoCoverage(staged, run),
      ]);
      // The bundle build reports compile errors best (file, line, code), so its failure is thrown first.
      const caseRun = valueOf(casesOutcome);
      const rego = valueOf(regoOutcome);
      const rules = valueOf(rulesOutcome);
      let regoCoverage = valueOf(coverageOutcome);
      if ("unavailable" in regoCoverage && rego.some((t) => t.status === "fail" || t.status === "error")) {
        const passing = passingTestsPattern(rego);
        regoCoverage = passing === undefined ? { files: {} } : await runRegoCoverage(staged, { run: passing });
      }

      const coverage = ruleCoverage(rules, caseRun.results, regoCoverage, options.coverageThreshold);
      const warnings: string[] = [];
      if (rego.length + caseRun.results.length === 0) {
        warnings.push(options.run !== undefined ? `no Rego test or case matches --run ${options.run}` : "no Rego tests and no cases found");
      }
      if (coverage.regoCoverageUnavailable) warnings.push(`rule coverage counts cases only: ${coverage.regoCoverageUnavailable}`);
      for (const rule of rules.filter((r) => !r.titled)) {
        warnings.push(`${displayPath(rule.file)}:${rule.line}: package ${rule.package} has no METADATA title, so no case can name its rule id`);
      }
      const disagreements = caseRun.results.filter((c) => c.parity?.agree === false).length;
      return { policyDir, bundleHash: caseRun.hash, rego, cases: caseRun.results, coverage, warnings, parity: { checked: parity, disagreements } };
    } finally {
      await staged.cleanup();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
