/**
 * @module `mcpgov demo`: the README's first command until the gateway
 * exists. Builds the reference policy and decides the seed's example calls.
 */
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Argv } from "yargs";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { readJsonFile } from "../../src/json-input.js";
import { formatConstraints } from "../../src/report/decision-report.js";
import { buildBundle } from "../../src/toolchain/build.js";
import type { CliIo } from "../io.js";

export function demoCommand(io: CliIo) {
  return {
    command: "demo",
    describe: "build the reference policy and decide the seed's example calls",
    builder: (y: Argv) =>
      y
        .option("policy", { type: "string", default: "policy/reference" })
        .option("examples", { type: "string", default: "policy/reference/examples" })
        .option("output", { alias: "o", type: "string", default: "bundles/reference.tar.gz" }),
    handler: async (argv: { policy: string; examples: string; output: string }) => {
      const built = await buildBundle({ policyDir: argv.policy, output: argv.output, revision: "reference" });
      io.out(`built ${built.output}\n  ${built.hash}\n`);
      const engine = await WasmPolicyEngine.fromFile(built.output);
      const files = (await readdir(argv.examples)).filter((f) => f.endsWith(".json")).sort();
      for (const file of files) {
        const envelope = (await readJsonFile(join(argv.examples, file))) as {
          call?: { server?: string; tool?: string };
          labels?: Record<string, string>;
        };
        const decision = engine.decide(envelope);
        io.out(
          `${basename(file, ".json")}\n` +
            `  call      ${envelope.call?.server}/${envelope.call?.tool} (${envelope.labels?.["mcp.action"]})\n` +
            `  decision  ${decision.decision}  [${decision.rules.join(", ")}]\n` +
            `  reason    ${decision.reason}\n` +
            `  limits    ${formatConstraints(decision.constraints)}\n`,
        );
      }
      return 0 as const;
    },
  };
}
