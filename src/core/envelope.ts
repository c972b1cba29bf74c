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
  const subject = parts.subject;
  const envelope: Envelope = {
    version: "v1",
    call: {
      id: parts.callId,
      method: parts.method ?? "tools/call",
      server: parts.server,
      tool: parts.tool,
      arguments: parts.arguments,
      arguments_digest: parts.argumentsDigest,
    },
    server: { ...(parts.registry ?? {}), risk_tags: [...serverTags], registered: parts.registry !== undefined, id: parts.server },
    labels: { "mcp.action": parts.action, "mcp.server": parts.server, "mcp.tool": parts.tool },
    risk_tags: riskTags,
    subject: { ...subject, roles: subject.roles ?? [], scopes: subject.scopes ?? [] },
    context: {
      time: parts.time,
      ...(parts.requestId ? { request_id: parts.requestId } : {}),
      ...(parts.transport ? { transport: parts.transport } : {}),
    },
  };
  // The parts are typed, and those the gateway owns (registry facts, the
  // subject, the time, ids) were validated where they entered. What comes
  // from a client or a server's tool list — names, arguments, tags — is
  // checked here; anything unexpected gets the full parse, which throws
  // the schema's own error as before. A clean envelope is returned as built:
  // a zod pass over every call's arguments was most of building it.
  return plainlyValid(envelope) ? envelope : EnvelopeSchema.parse(envelope);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const nonEmpty = (value: unknown): boolean => typeof value === "string" && value.length > 0;
const tags = (value: unknown): boolean => Array.isArray(value) && value.every(nonEmpty);
/** No key the (strict) schema would refuse. */
const only = (value: object, shape: object): boolean => Object.keys(value).every((key) => Object.hasOwn(shape, key));
const strings = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === "string");

/** The checks of EnvelopeSchema that values from outside the gateway could fail; false sends the envelope to the full parse. */
function plainlyValid(e: Envelope): boolean {
  const args: unknown = e.call.arguments;
  return (
    nonEmpty(e.call.id) &&
    nonEmpty(e.call.method) &&
    nonEmpty(e.call.server) &&
    nonEmpty(e.call.tool) &&
    typeof args === "object" &&
    args !== null &&
    !Array.isArray(args) &&
    Object.getPrototypeOf(args) === Object.prototype &&
    DIGEST.test(e.call.arguments_digest) &&
    ActionSchema.options.includes(e.labels["mcp.action"]) &&
    tags(e.server.risk_tags) &&
    tags(e.risk_tags) &&
    only(e.server, ServerFactsSchema.shape) &&
    only(e.subject, SubjectSchema.shape) &&
    nonEmpty(e.subject.id) &&
    strings(e.subject.roles) &&
    strings(e.subject.scopes) &&
    ContextSchema.shape.time.safeParse(e.context.time).success
  );
}
