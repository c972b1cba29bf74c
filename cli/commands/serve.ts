/** @module `mcpgov serve` (placeholder: being built for issue 4). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function serveCommand(_io: CliIo) {
  return {
    command: "serve",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov serve is not available yet");
    },
  };
}
