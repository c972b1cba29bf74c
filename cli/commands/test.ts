/** @module `mcpgov test` (placeholder: being built for issue 3). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function testCommand(_io: CliIo) {
  return {
    command: "test",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov test is not available yet");
    },
  };
}
