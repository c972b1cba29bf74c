/** @module The policy envelope (v1): the normalised input every decision sees, defined once here. */
import { z } from "zod";

export const ActionSchema = z
  .enum(["read", "write", "destructive"])
  .describe("What the call does. Unknown or unclassified calls are 'destructive' (the worst case).");
export type Action = z.infer<typeof ActionSchema>;

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex digits>");
const Tag = z.string().min(1);

export const CallSchema = z
  .object({
    id: z.string().min(1).describe("Unique id of this call, assigned by the gateway."),
    method: z.string().min(1).describe("The MCP method, e.g. tools/call."),
    server: z.string().min(1).describe("Registry id of the server the call is addressed to."),
    tool: z.string().min(1).describe("Tool name as the client sent it."),
    arguments: z.record(z.string(), z.unknown()).describe("Tool arguments as the client sent them."),
    arguments_digest: Digest.describe("sha256 over the canonical JSON of arguments."),
  })
  .strict();

export const ServerFactsSchema = z
  .object({
    registered: z.boolean().describe("Whether the server is in the registry."),
    id: z.string().min(1),
    version: z.string().optional(),
    owner: z.string().optional(),
    environment: z.string().optional().describe("Deployment environment, e.g. prod or staging."),
    risk_tags: z.array(Tag).default([]),
    tenant: z.string().optional(),
    trusted: z.boolean().optional().describe("Whether the operator trusts the server's own annotations."),
  })
  .strict();

export const LabelsSchema = z
  .object({
    "mcp.action": ActionSchema,
    "mcp.server": z.string().min(1),
    "mcp.tool": z.string().min(1),
  })
  .catchall(z.string())
  .describe("Labels in the seed's vocabulary; extra string labels are allowed.");

export const SubjectSchema = z
  .object({
    id: z.string().min(1),
    tenant: z.string().optional(),
    roles: z.array(z.string()).default([]),
    scopes: z.array(z.string()).default([]),
  })
  .strict();

export const ContextSchema = z
  .object({
    time: z.iso.datetime({ offset: true }).describe("Request time, RFC 3339. Policy reads time only from here."),
    request_id: z.string().optional(),
    transport: z.enum(["streamable-http", "stdio", "cli"]).optional(),
  })
  .strict();

export const EnvelopeSchema = z
  .object({
    version: z.literal("v1"),
    call: CallSchema,
    server: ServerFactsSchema,
    labels: LabelsSchema,
    risk_tags: z.array(Tag).describe("Union of the server's and the tool's risk tags."),
    subject: SubjectSchema,
    context: ContextSchema,
  })
  .strict()
  .describe("mcpgov policy envelope, version 1");

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type EnvelopeInput = z.input<typeof EnvelopeSchema>;

export interface EnvelopeParts {
  callId: string;
  method?: string;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  /** sha256 of canonicalJson(arguments), computed by the caller (the core does no hashing). */
  argumentsDigest: string;
  registry?: Omit<z.input<typeof ServerFactsSchema>, "registered" | "id">;
  action: Action;
  toolRiskTags?: string[];
  subject: z.input<typeof SubjectSchema>;
  time: string;
  requestId?: string;
  transport?: z.infer<typeof ContextSchema>["transport"];
}

/** Builds a v1 envelope from what the gateway knows. An absent registry entry means unregistered. */
export function buildEnvelope(parts: EnvelopeParts): Envelope {
  const serverTags = parts.registry?.risk_tags ?? [];
  const riskTags = [...new Set([...serverTags, ...(parts.toolRiskTags ?? [])])].sort();
  return EnvelopeSchema.parse({
    version: "v1",
    call: {
      id: parts.callId,
      method: parts.method ?? "tools/call",
      server: parts.server,
      tool: parts.tool,
      arguments: parts.arguments,
      arguments_digest: parts.argumentsDigest,
    },
    server: { ...(parts.registry ?? {}), registered: parts.registry !== undefined, id: parts.server },
    labels: { "mcp.action": parts.action, "mcp.server": parts.server, "mcp.tool": parts.tool },
    risk_tags: riskTags,
    subject: parts.subject,
    context: {
      time: parts.time,
      ...(parts.requestId ? { request_id: parts.requestId } : {}),
      ...(parts.transport ? { transport: parts.transport } : {}),
    },
  });
}
