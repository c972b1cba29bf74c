/** @module `mcpgov build [POLICY_DIR] -o OUT`. */
import type { Argv } from "yargs";
import { buildBundle } from "../../src/toolchain/build.js";
import type { CliIo } from "../io.js";

export function buildCommand(io: CliIo) {
  return {
    command: "build [policy]",
    describe: "compile a policy folder to a stamped OPA WASM bundle",
    builder: (y: Argv) =>
      y
        .positional("policy", { type: "string", default: "policy/reference", describe: "policy folder (Rego and data)" })
        .option("output", { alias: "o", type: "string", default: "bundles/bundle.tar.gz", describe: "bundle file to write" })
        .option("revision", { type: "string", describe: "revision recorded in the manifest (e.g. a git commit)" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const }),
    handler: async (argv: { policy: string; output: string; revision?: string; format: "pretty" | "json" }) => {
      const result = await buildBundle({
        policyDir: argv.policy,
        output: argv.output,
        ...(argv.revision !== undefined ? { revision: argv.revision } : {}),
      });
      if (argv.format === "json") io.out(JSON.stringify(result));
      else io.out(`built ${result.output}\nhash ${result.hash}\nrevision ${result.revision || "(none)"}`);
      return 0 as const;
    },
  };
}
