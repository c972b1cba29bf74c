/** @module `mcpgov diff` (placeholder: being built for issue 3). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function diffCommand(_io: CliIo) {
  return {
    command: "diff",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov diff is not available yet");
    },
  };
}
