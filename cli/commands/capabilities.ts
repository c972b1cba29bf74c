/** @module `mcpgov capabilities`: which builtins a policy may use, and which are refused and why. */
import { allowedBuiltins, EXCLUDED_BUILTINS } from "../../src/toolchain/capabilities.js";
import type { CliIo } from "../io.js";

export function capabilitiesCommand(io: CliIo) {
  return {
    command: "capabilities",
    describe: "list the Rego builtins available to mcpgov bundles",
    builder: {},
    handler: async () => {
      io.out(`allowed builtins (${allowedBuiltins().length}):\n  ${allowedBuiltins().join("\n  ")}`);
      io.out(`refused:\n${Object.entries(EXCLUDED_BUILTINS).map(([name, why]) => `  ${name}: ${why}`).join("\n")}`);
      return 0 as const;
    },
  };
}
