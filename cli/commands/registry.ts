/** @module `mcpgov registry` (placeholder: being built for issue 4). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function registryCommand(_io: CliIo) {
  return {
    command: "registry",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov registry is not available yet");
    },
  };
}
