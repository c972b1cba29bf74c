/** @module `mcpgov audit` (placeholder: being built for issue 4). */
import { McpgovError } from "../../src/core/errors.js";
import type { CliIo } from "../io.js";

export function auditCommand(_io: CliIo) {
  return {
    command: "audit",
    describe: "(not yet available)",
    builder: {},
    handler: async (): Promise<0 | 1 | 2> => {
      throw new McpgovError("usage", "mcpgov audit is not available yet");
    },
  };
}
