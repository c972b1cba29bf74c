/** @module `mcpgov stdio` (placeholder: being built for issue 4). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function stdioCommand(_io: CliIo) {
  return {
    command: "stdio",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov stdio is not available yet");
    },
  };
}
