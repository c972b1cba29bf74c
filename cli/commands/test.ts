/** @module `mcpgov test [POLICY_DIR] [CASES…]`: Rego unit tests, recorded-envelope cases and rule coverage. */
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { githubAnnotationsReporter } from "../../src/report/test-annotations.js";
import { jsonReporter } from "../../src/report/test-json.js";
import { junitReporter } from "../../src/report/test-junit.js";
import { prettyReporter } from "../../src/report/test-pretty.js";
import type { ReporterOptions, TestFormat, TestReporter, Writer } from "../../src/report/test-reporter.js";
import { exitCodeOf } from "../../src/testing/results.js";
import { runPolicyTests } from "../../src/testing/runner.js";
import { type CliIo, pathOnly } from "../io.js";
import { paintFor, plain } from "../colour.js";
import { createProgress } from "../progress.js";

const REPORTERS: Record<TestFormat, (write: Writer, options: ReporterOptions) => TestReporter> = {
  pretty: prettyReporter,
  json: jsonReporter,
  junit: junitReporter,
};

interface TestArgs {
  policy: string;
  cases?: string[];
  format: TestFormat;
  run?: string;
  "coverage-threshold"?: number;
  parity: boolean;
  verbose: boolean;
  quiet: boolean;
}

export function testCommand(io: CliIo) {
  return {
    command: "test [policy] [cases..]",
    describe: "run the Rego unit tests (opa test) and the recorded-envelope cases (on the WASM bundle and, for parity, on OPA's topdown), and report rule coverage",
    builder: (y: Argv) =>
      y
        .positional("policy", { type: "string", default: "policy/reference", describe: "policy folder (Rego and data)" })
        .positional("cases", {
          type: "string",
          array: true,
          describe: "case files or folders (default: every *.cases.yaml, *.cases.yml, *.cases.json under the policy folder)",
        })
        .option("format", { choices: ["pretty", "json", "junit"] as const, default: "pretty" as const })
        .option("verbose", { alias: "v", type: "boolean", default: false, describe: "pretty: a line for every Rego test and case, not only failures" })
        .option("run", { type: "string", describe: "only Rego tests (full name, data.pkg.test_x) and cases (name) matching this regular expression" })
        .option("coverage-threshold", { type: "number", describe: "fail (exit 2) when fewer than this percent of the rules are exercised" })
        .option("parity", {
          type: "boolean",
          default: true,
          describe: "also decide every case on OPA's topdown over the same sources and fail on any difference from the WASM bundle (--no-parity: off)",
        }),
    handler: async (argv: TestArgs): Promise<0 | 1 | 2> => {
      const threshold = argv["coverage-threshold"];
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 100)) {
        throw new McpgovError("usage", "--coverage-threshold must be a percentage between 0 and 100");
      }
      pathOnly(argv.policy, "POLICY_DIR");
      const progress = createProgress(io, "test", { quiet: argv.quiet, unit: "cases" });
      const run = await runPolicyTests({
        onStage: (stage) => progress.stage(stage),
        onCase: (done, total) => progress.update(done, total),
        policyDir: argv.policy,
        casePaths: argv.cases ?? [],
        ...(argv.run !== undefined ? { run: argv.run } : {}),
        ...(threshold !== undefined ? { coverageThreshold: threshold } : {}),
        parity: argv.parity,
      }).finally(() => progress.end());
      // A pattern that selects nothing is a mistake in the pattern, not a passing run.
      if (argv.run !== undefined && run.rego.length + run.cases.length === 0) {
        io.err(`mcpgov: --run ${JSON.stringify(argv.run)} matches no Rego test and no case in ${argv.policy}; nothing was tested`);
        return 2;
      }
      for (const warning of run.warnings) io.err(`mcpgov: warning: ${warning}`);
      REPORTERS[argv.format](io.out, { verbose: argv.verbose, ...(paintFor(io, "stdout") !== plain ? { paint: paintFor(io, "stdout") } : {}) }).report(run);
      // Annotations go with the pretty report; machine formats keep stdout parseable.
      if (io.env["GITHUB_ACTIONS"]) githubAnnotationsReporter(argv.format === "pretty" ? io.out : io.err).report(run);
      return exitCodeOf(run);
    },
  };
}
