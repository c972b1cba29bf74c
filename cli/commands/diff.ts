/** @module `mcpgov diff --base A --head B --envelopes PATH`: how a policy change moves recorded decisions. */
import { availableParallelism } from "node:os";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { openDiffSides } from "../../src/diff/bundle-source.js";
import { streamEnvelopes } from "../../src/diff/envelope-stream.js";
import { gateHits, parseTransitionPatterns } from "../../src/diff/fail-on.js";
import { openTopdown, parityPolicyDir } from "../../src/diff/parity-source.js";
import { corpusBytes, runDiffInWorkers } from "../../src/diff/parallel-diff.js";
import { autoDiffWorkers } from "../../src/diff/worker-choice.js";
import { runDiff } from "../../src/diff/run-diff.js";
import { formatDiffJson } from "../../src/report/diff-json.js";
import { formatDiffMarkdown } from "../../src/report/diff-markdown.js";
import { type DiffGate, formatDiffPretty } from "../../src/report/diff-pretty.js";
import { type CliIo, type ExitCode, pathOnly, stdinStreamOf } from "../io.js";
import { counted, createProgress } from "../progress.js";

const FORMATS = { pretty: formatDiffPretty, json: formatDiffJson, markdown: formatDiffMarkdown } as const;

interface DiffArgs {
  base: string;
  head: string;
  envelopes: string;
  format: keyof typeof FORMATS;
  examples: number;
  "fail-on"?: string[];
  "skip-invalid": boolean;
  parity: boolean;
  "head-policy"?: string;
  quiet: boolean;
  workers?: number;
}

export function diffCommand(io: CliIo) {
  return {
    command: "diff",
    describe: "decide recorded envelopes under two bundles and report what changes",
    builder: (y: Argv) =>
      y
        .option("base", { type: "string", nargs: 1, demandOption: true, describe: "the policy in force: stamped bundle (.tar.gz) or policy folder" })
        .option("head", { type: "string", nargs: 1, demandOption: true, describe: "the proposed policy: stamped bundle (.tar.gz) or policy folder" })
        .option("envelopes", { alias: "e", type: "string", nargs: 1, demandOption: true, describe: "JSONL file of envelopes, a folder of .jsonl files, or - for stdin" })
        .option("format", { choices: Object.keys(FORMATS) as (keyof typeof FORMATS)[], default: "pretty" as const })
        .option("examples", { type: "number", default: 3, describe: "example envelopes shown per transition" })
        .option("fail-on", {
          type: "string",
          array: true,
          describe: "exit 2 if a transition matches, e.g. '*->ALLOW' DENY->ALLOW 'REQUIRE_APPROVAL->*'",
        })
        .option("skip-invalid", { type: "boolean", default: false, describe: "count bad lines as skipped instead of stopping at the first" })
        .option("parity", {
          type: "boolean",
          default: false,
          describe: "also decide every envelope on OPA's topdown over the head policy's sources; any difference from the head bundle exits 2",
        })
        .option("head-policy", { type: "string", describe: "the head policy folder for --parity when --head is a bundle file (default: --head when it is a folder)" })
        .option("workers", {
          type: "number",
          describe:
            "worker threads that decide the envelopes (0: this thread); the report is the same. Default: one per core for a corpus of 48 MiB or more, else 0. --parity always decides in this thread",
        }),
    handler: async (argv: DiffArgs): Promise<ExitCode> => {
      // Bad options fail before any bundle is built.
      const patterns = parseTransitionPatterns(argv["fail-on"] ?? []);
      if (!Number.isInteger(argv.examples) || argv.examples < 0) {
        throw new McpgovError("usage", `--examples must be a whole number ≥ 0, not ${argv.examples}`);
      }
      if (argv.workers !== undefined && (!Number.isInteger(argv.workers) || argv.workers < 0)) {
        throw new McpgovError("usage", `--workers must be a whole number ≥ 0, not ${argv.workers}`);
      }
      const progress = createProgress(io, "diff", { quiet: argv.quiet, unit: "envelopes" });
      progress.stage(`preparing base ${argv.base} and head ${argv.head}`);
      pathOnly(argv.base, "--base");
      pathOnly(argv.head, "--head");
      const headPolicy = argv.parity ? await parityPolicyDir(argv.head, argv["head-policy"]) : undefined;
      const sides = await openDiffSides(argv.base, argv.head);
      const parity = headPolicy === undefined ? undefined : await openTopdown(headPolicy).catch(async (error: unknown) => {
        await sides.cleanup();
        throw error;
      });
      try {
        // Workers start cold; only a large corpus repays them (see worker-choice.ts). A missing corpus fails here, after the bundles, as before.
        // Standard input streams through this thread, and --parity asks OPA here too.
        const workers = argv.parity || argv.envelopes === "-" ? 0 : (argv.workers ?? autoDiffWorkers(await corpusBytes(argv.envelopes), availableParallelism()));
        // Both paths give the same report (test/diff-parallel.test.ts); workers share the evaluations among the cores.
        const report =
          workers > 0
            ? await runDiffInWorkers({ base: sides.base, head: sides.head, envelopes: argv.envelopes, examples: argv.examples, skipInvalid: argv["skip-invalid"], workers })
            : await runDiff({
                base: sides.base,
                head: sides.head,
                envelopes: counted(streamEnvelopes(argv.envelopes, stdinStreamOf(io)), progress),
                examples: argv.examples,
                skipInvalid: argv["skip-invalid"],
                ...(parity ? { parity: parity.topdown } : {}),
              });
        progress.end();
        const gate: DiffGate = { patterns: patterns.map((p) => p.text), hits: gateHits(report, patterns) };
        io.out(FORMATS[argv.format](report, gate));
        if (report.skipped > 0) io.err(`mcpgov: skipped ${report.skipped} invalid line(s)`);
        const parityFailed = (report.parity?.disagreements ?? 0) > 0;
        if (parityFailed) io.err(`mcpgov: --parity: ${report.parity!.disagreements} envelope(s) decided differently by the head bundle (WASM) and OPA topdown`);
        for (const hit of gate.hits) io.err(`mcpgov: --fail-on ${hit.pattern} matched ${hit.transition} (${hit.count})`);
        return gate.hits.length === 0 && !parityFailed ? 0 : 2;
      } finally {
        progress.end();
        await parity?.close();
        await sides.cleanup();
      }
    },
  };
}
