/**
 * @module The registry part of the gateway config: a server's id, facts,
 * transport (stdio or Streamable HTTP) and the operator's classification of
 * its tools.
 */
import { z } from "zod";
import { ActionSchema } from "./envelope.js";
import { EnvNameSchema, PathSchema, SecretSourceSchema, Tag } from "./config-primitives.js";

/** Registry ids are lowercase slugs without `_` or `.`, so the gateway can use either as a namespace separator. */
export const ServerIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "expected a slug: lowercase letters, digits and '-', starting with a letter, at most 63 characters");

const StdioTransportSchema = z.strictObject({
  type: z.literal("stdio"),
  command: z.string().min(1).describe("Executable; a relative path with a '/' resolves against the config file's folder, a bare name is looked up on PATH."),
  args: z.array(z.string()).default([]).describe("Arguments, passed as given (no shell)."),
  env: z
    .record(EnvNameSchema, SecretSourceSchema)
    .default({})
    .describe("The child's environment beyond a minimal default (HOME, PATH, …); the gateway's own environment is never passed on."),
  cwd: PathSchema.optional().describe("Working directory; defaults to the config file's folder."),
});

const HttpTransportSchema = z.strictObject({
  type: z.literal("streamable_http"),
  url: z.url({ protocol: /^https?$/ }).describe("The server's Streamable HTTP endpoint (https, or http on loopback)."),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, "expected an HTTP header name"), SecretSourceSchema)
    .default({})
    .describe("The only headers sent upstream; a client's credentials are never passed through."),
});

export const TransportSchema = z.discriminatedUnion("type", [StdioTransportSchema, HttpTransportSchema]);
export type TransportConfig = z.infer<typeof TransportSchema>;
export type StdioTransportConfig = z.infer<typeof StdioTransportSchema>;
export type HttpTransportConfig = z.infer<typeof HttpTransportSchema>;

/** `read_file: read` is shorthand for `read_file: {action: read}`. */
export const ToolClassificationSchema = z.preprocess(
  (value) => (typeof value === "string" ? { action: value } : value),
  z.strictObject({ action: ActionSchema, risk_tags: z.array(Tag).default([]).describe("Tags the envelope carries for calls of this tool (added to the server's).") }),
);
export type ToolClassification = z.infer<typeof ToolClassificationSchema>;

export const RegistryEntrySchema = z.strictObject({
  id: ServerIdSchema.describe("The registry id: the endpoint /mcp/{id}, the envelope's call.server, the audit records' server."),
  version: z.string().min(1).optional().describe("The server's version as the operator approved it (the envelope's server.version)."),
  owner: z.string().min(1).optional().describe("Who answers for the server (the envelope's server.owner)."),
  environment: z.string().min(1).optional().describe("Its environment (prod, staging…): the envelope's server.environment."),
  risk_tags: z.array(Tag).default([]).describe("Tags every call to this server carries (e.g. prod, non_prod, pii): the policy matches on them."),
  tenant: z.string().min(1).optional().describe("The tenant the server belongs to: the envelope's server.tenant."),
  trusted: z.boolean().default(false).describe("Whether the server's own tool annotations may classify its unclassified tools."),
  description: z.string().optional().describe("For people; never sent to clients or models."),
  transport: TransportSchema.describe("How to reach the server: stdio (a child process) or streamable_http."),
  tools: z.record(z.string().min(1), ToolClassificationSchema).default({}).describe("The operator's classification, which always wins."),
  roots: z.array(PathSchema).default([]).describe("Directories the server may see; a client's roots can only narrow them."),
});
export type RegistryEntry = z.infer<typeof RegistryEntrySchema>;
