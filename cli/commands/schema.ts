/** @module `mcpgov schema envelope|decision`: JSON Schemas generated from the zod schemas. */
import type { Argv } from "yargs";
import { z } from "zod";
import { DecisionSchema } from "../../src/core/decision.js";
import { EnvelopeSchema } from "../../src/core/envelope.js";
import type { CliIo } from "../io.js";

export const SCHEMAS = {
  envelope: () => z.toJSONSchema(EnvelopeSchema, { io: "input", target: "draft-2020-12" }),
  decision: () => z.toJSONSchema(DecisionSchema, { io: "output", target: "draft-2020-12" }),
} as const;

export function schemaCommand(io: CliIo) {
  return {
    command: "schema <name>",
    describe: "print the JSON Schema of the envelope or the decision",
    builder: (y: Argv) => y.positional("name", { choices: Object.keys(SCHEMAS), demandOption: true }),
    handler: async (argv: { name: string }) => {
      io.out(JSON.stringify(SCHEMAS[argv.name as keyof typeof SCHEMAS](), null, 2));
      return 0 as const;
    },
  };
}
