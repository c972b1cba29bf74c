/**
 * @module `mcpgov test` as a library call: the Rego unit tests under the
 * real `opa test`, the recorded-envelope cases on the compiled WASM bundle
 * (the engine the gateway runs), and rule coverage over both.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { McpgovError } from "../core/errors.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { buildBundle } from "../toolchain/build.js";
import { displayPath } from "../toolchain/diagnostics.js";
import { passingTestsPattern, runRegoCoverage, runRegoTests } from "../toolchain/opa-test.js";
import { declaredRules } from "../toolchain/rule-inventory.js";
import { libraryDir, stagePolicy } from "../toolchain/stage.js";
import { findCaseFiles, loadCases, type TestCase } from "./cases.js";
import { compareDecision } from "./expectation.js";
import type { CaseResult, TestRun } from "./results.js";
import { ruleCoverage } from "./rule-coverage.js";

export interface TestRunOptions {
  policyDir: string;
  /** Case files or folders; none means every case file under policyDir. */
  casePaths?: readonly string[];
  /** A regular expression; only Rego tests (by full name) and cases (by name) that match run. */
  run?: string;
  /** Percent of declared rules that must be exercised. */
  coverageThreshold?: number;
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

/** Builds the bundle exactly as `mcpgov build` does and decides every case with the WASM engine. */
async function runCases(policyDir: string, bundleFile: string, cases: readonly TestCase[]): Promise<{ hash: string; results: CaseResult[] }> {
  const built = await buildBundle({ policyDir, output: bundleFile });
  const engine = await WasmPolicyEngine.fromFile(built.output);
  const results = cases.map((testCase): CaseResult => {
    const started = process.hrtime.bigint();
    const { bundle: _bundle, ...actual } = engine.decide(testCase.envelope);
    const durationNs = Number(process.hrtime.bigint() - started);
    const mismatches = compareDecision(testCase.expect, actual);
    return {
      name: testCase.name,
      file: testCase.file,
      line: testCase.line,
      status: mismatches.length === 0 ? "pass" : "fail",
      durationNs,
      mismatches,
      actual,
    };
  });
  return { hash: built.hash, results };
}

/** Throws (exit 1) on anything that stops the run: bad case files, a policy or test that does not compile. */
export async function runPolicyTests(options: TestRunOptions): Promise<TestRun> {
  const policyDir = resolve(options.policyDir);
  const pattern = compilePattern(options.run);
  await assertDirectory(policyDir);
  const explicit = options.casePaths !== undefined && options.casePaths.length > 0;
  const caseFiles = await findCaseFiles(explicit ? options.casePaths! : [policyDir]);
  const cases = (await loadCases(caseFiles)).filter((c) => !pattern || pattern.test(c.name));

  const work = await mkdtemp(join(tmpdir(), "mcpgov-test-"));
  const library = libraryDir() + sep;
  try {
    const staged = await stagePolicy(policyDir);
    try {
      const shownDir = displayPath(policyDir);
      const run = options.run !== undefined ? { run: options.run } : {};
      const [casesOutcome, regoOutcome, rulesOutcome, coverageOutcome] = await Promise.allSettled([
        runCases(policyDir, join(work, "bundle.tar.gz"), cases),
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
      return { policyDir, bundleHash: caseRun.hash, rego, cases: caseRun.results, coverage, warnings };
    } finally {
      await staged.cleanup();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
