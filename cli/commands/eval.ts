/** @module `mcpgov eval --bundle B --input ENVELOPE.json`. */
import type { Argv } from "yargs";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { parseJsonText, readJsonFile } from "../../src/json-input.js";
import { formatDecision } from "../../src/report/decision-report.js";
import type { CliIo } from "../io.js";

export function evalCommand(io: CliIo) {
  return {
    command: "eval",
    describe: "decide one envelope with a bundle and print the decision",
    builder: (y: Argv) =>
      y
        .option("bundle", { alias: "b", type: "string", demandOption: true, describe: "stamped bundle (.tar.gz)" })
        .option("input", { alias: "i", type: "string", demandOption: true, describe: "envelope JSON file, or - for stdin" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const }),
    handler: async (argv: { bundle: string; input: string; format: "pretty" | "json" }) => {
      const envelope = argv.input === "-" ? parseJsonText(await io.stdin(), "<stdin>") : await readJsonFile(argv.input);
      const engine = await WasmPolicyEngine.fromFile(argv.bundle);
      io.out(formatDecision(engine.decide(envelope), argv.format));
      return 0 as const;
    },
  };
}
