/** @module `mcpgov schema NAME`: JSON Schemas generated from the zod schemas, the single source of truth. */
import type { Argv } from "yargs";
import { z } from "zod";
import { AuditRecordSchema } from "../../src/core/audit-record.js";
import { DecisionSchema } from "../../src/core/decision.js";
import { EnvelopeSchema, EnvelopeV1Schema } from "../../src/core/envelope.js";
import { GatewayConfigSchema } from "../../src/core/gateway-config.js";
import { OutputDecisionSchema, OutputPolicyInputSchema } from "../../src/core/output-decision.js";
import { YamlRuleFileSchema } from "../../src/core/yaml-rules-schema.js";
import type { CliIo } from "../io.js";

// Inputs are described as a writer sees them (defaults optional), outputs as produced.
const input = (schema: z.ZodType) => () => z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" });
const output = (schema: z.ZodType) => () => z.toJSONSchema(schema, { io: "output", target: "draft-2020-12", unrepresentable: "any" });

export const SCHEMAS = {
  envelope: input(EnvelopeSchema),
  "envelope-v1": input(EnvelopeV1Schema),
  decision: output(DecisionSchema),
  "output-input": input(OutputPolicyInputSchema),
  "output-decision": output(OutputDecisionSchema),
  "yaml-rules": input(YamlRuleFileSchema),
  config: input(GatewayConfigSchema),
  "audit-record": output(AuditRecordSchema),
} as const;

export function schemaCommand(io: CliIo) {
  return {
    command: "schema <name>",
    describe: "print a JSON Schema: the envelope, decisions, YAML rules, gateway config, audit records",
    builder: (y: Argv) => y.positional("name", { choices: Object.keys(SCHEMAS), demandOption: true }),
    handler: async (argv: { name: string }) => {
      io.out(JSON.stringify(SCHEMAS[argv.name as keyof typeof SCHEMAS](), null, 2));
      return 0 as const;
    },
  };
}
