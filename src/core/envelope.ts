/**
 * @module The policy envelope: the normalised input every decision sees,
 * defined once here. Version 2 decides every MCP method that acts or reads
 * data, in both directions; version 1 (tools/call only) is still read from
 * recorded traffic and upgraded with `upgradeEnvelope`, so old case files
 * and recordings decide exactly as a v2 envelope of the same call.
 */
import { z } from "zod";
import { EgressTargetSchema, type EgressTarget } from "./egress.js";
import { boundaryError } from "./input-boundary.js";

export const ActionSchema = z
  .enum(["read", "write", "destructive"])
  .describe("What the call does. Unknown or unclassified calls are 'destructive' (the worst case).");
export type Action = z.infer<typeof ActionSchema>;

/** Every MCP request method mcpgov decides. ping, initialize and notifications carry no data and are not decided. */
export const McpMethodSchema = z
  .enum([
    "tools/call",
    "tools/list",
    "resources/read",
    "resources/list",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/get",
    "prompts/list",
    "completion/complete",
    "logging/setLevel",
    "sampling/createMessage",
    "elicitation/create",
  ])
  .describe("The MCP method of the request.");
export type McpMethod = z.infer<typeof McpMethodSchema>;

/** Requests a server sends to the client (the gateway relays them to the calling client). */
export const SERVER_TO_CLIENT_METHODS: ReadonlySet<McpMethod> = new Set(["sampling/createMessage", "elicitation/create"]);

export const TargetTypeSchema = z.enum(["tool", "resource", "prompt", "completion", "list", "logging", "sampling", "elicitation"]);
export type TargetType = z.infer<typeof TargetTypeSchema>;

export const TargetSchema = z
  .object({
    type: TargetTypeSchema.describe("What the method acts on."),
    name: z
      .string()
      .min(1)
      .describe("The tool name, resource URI, prompt name, completion reference, listed kind (tools, resources …), log level, or the server's request kind."),
  })
  .strict();
export type Target = z.infer<typeof TargetSchema>;

/** Which target type each method has. */
export const TARGET_TYPE_OF: Readonly<Record<McpMethod, TargetType>> = {
  "tools/call": "tool",
  "tools/list": "list",
  "resources/read": "resource",
  "resources/list": "list",
  "resources/templates/list": "list",
  "resources/subscribe": "resource",
  "resources/unsubscribe": "resource",
  "prompts/get": "prompt",
  "prompts/list": "list",
  "completion/complete": "completion",
  "logging/setLevel": "logging",
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
};

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex digits>");
const Tag = z.string().min(1);

// A host the call names, as Node's URL parser and HTTP clients would reach it (src/core/egress.ts).
export { EgressTargetSchema, type EgressTarget };

const ServerFactsSchema_ = z
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
export const ServerFactsSchema = ServerFactsSchema_;

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

export const CallSchema = z
  .object({
    id: z.string().min(1).describe("Unique id of this call, assigned by the gateway."),
    method: McpMethodSchema,
    direction: z
      .enum(["client_to_server", "server_to_client"])
      .describe("client_to_server for a client's request; server_to_client for a server's request relayed to the client."),
    server: z.string().min(1).describe("Registry id of the server the request is addressed to or comes from."),
    target: TargetSchema,
    tool: z.string().min(1).optional().describe("Tool name as the client sent it (tools/call only; equals target.name)."),
    arguments: z
      .record(z.string(), z.unknown())
      .describe("The request's data: tool or prompt arguments, the resource URI, the completion argument, the server's request params."),
    arguments_digest: Digest.describe("sha256 over the canonical JSON of arguments."),
    egress: z.array(EgressTargetSchema).describe("Every host the arguments name, normalised as Node's URL parser reads it."),
  })
  .strict()
  .refine((call) => call.method !== "tools/call" || call.tool === call.target.name, {
    message: "tools/call needs call.tool equal to call.target.name",
    path: ["tool"],
  })
  .refine((call) => call.target.type === TARGET_TYPE_OF[call.method], { message: "target.type does not match the method", path: ["target", "type"] });

export const LabelsSchema = z
  .object({
    "mcp.action": ActionSchema,
    "mcp.server": z.string().min(1),
    "mcp.method": McpMethodSchema,
    "mcp.target": z.string().min(1),
    "mcp.tool": z.string().min(1).optional(),
  })
  .catchall(z.string())
  .describe("Labels in the seed's vocabulary; extra string labels are allowed.");

export const EnvelopeSchema = z
  .object({
    version: z.literal("v2"),
    call: CallSchema,
    server: ServerFactsSchema,
    labels: LabelsSchema,
    risk_tags: z.array(Tag).describe("Union of the server's and the tool's risk tags."),
    subject: SubjectSchema,
    context: ContextSchema,
  })
  .strict()
  .describe("mcpgov policy envelope, version 2");

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type EnvelopeInput = z.input<typeof EnvelopeSchema>;

/** Version 1: tools/call only. Read from recorded traffic and old case files, then upgraded. */
export const EnvelopeV1Schema = z
  .object({
    version: z.literal("v1"),
    call: z
      .object({
        id: z.string().min(1),
        method: z.string().min(1),
        server: z.string().min(1),
        tool: z.string().min(1),
        arguments: z.record(z.string(), z.unknown()),
        arguments_digest: Digest,
      })
      .strict(),
    server: ServerFactsSchema,
    labels: z.object({ "mcp.action": ActionSchema, "mcp.server": z.string().min(1), "mcp.tool": z.string().min(1) }).catchall(z.string()),
    risk_tags: z.array(Tag),
    subject: SubjectSchema,
    context: ContextSchema,
  })
  .strict()
  .describe("mcpgov policy envelope, version 1 (upgraded to v2 before any decision)");
export type EnvelopeV1 = z.infer<typeof EnvelopeV1Schema>;

/** What a stored record or a recording may hold: either version. */
export const StoredEnvelopeSchema = z.union([EnvelopeSchema, EnvelopeV1Schema]);

/**
 * v1 → v2, exactly: a v1 envelope was always a tools/call from client to
 * server. `egressOf` supplies the hosts the arguments name (the gateway's
 * extractor), so an upgraded recording meets the same egress rules as live
 * traffic.
 */
export function upgradeEnvelope(v1: EnvelopeV1, egressOf: (args: Record<string, unknown>) => EgressTarget[]): Envelope {
  const tool = v1.call.tool;
  const { "mcp.tool": _tool, ...labels } = v1.labels;
  return {
    version: "v2",
    call: {
      id: v1.call.id,
      method: "tools/call",
      direction: "client_to_server",
      server: v1.call.server,
      target: { type: "tool", name: tool },
      tool,
      arguments: v1.call.arguments,
      arguments_digest: v1.call.arguments_digest,
      egress: egressOf(v1.call.arguments),
    },
    server: v1.server,
    labels: { ...labels, "mcp.method": "tools/call", "mcp.target": tool, "mcp.tool": tool },
    risk_tags: v1.risk_tags,
    subject: v1.subject,
    context: v1.context,
  };
}

export type EnvelopeParse = { success: true; data: Envelope; upgraded: boolean } | { success: false; error: z.ZodError };

/** Parses an envelope of either version; a v1 envelope comes back upgraded to v2. */
export function parseAnyEnvelope(value: unknown, egressOf: (args: Record<string, unknown>) => EgressTarget[]): EnvelopeParse {
  const refused = boundaryError(value);
  if (refused) return { success: false, error: refused };
  const version = typeof value === "object" && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version === "v1") {
    const v1 = EnvelopeV1Schema.safeParse(value);
    if (!v1.success) return { success: false, error: v1.error };
    if (v1.data.call.method !== "tools/call") {
      return {
        success: false,
        error: new z.ZodError([{ code: "custom", path: ["call", "method"], message: `a v1 envelope can only be upgraded from tools/call, not "${v1.data.call.method}"`, input: v1.data.call.method }]),
      };
    }
    return { success: true, data: upgradeEnvelope(v1.data, egressOf), upgraded: true };
  }
  const v2 = EnvelopeSchema.safeParse(value);
  return v2.success ? { success: true, data: v2.data, upgraded: false } : { success: false, error: v2.error };
}

export interface EnvelopeParts {
  callId: string;
  /** tools/call when absent. */
  method?: McpMethod;
  server: string;
  /** The target's name: tool name, resource URI, prompt name …; for tools/call the tool. */
  target?: string;
  /** Kept for tools/call callers: the target of a tools/call. */
  tool?: string;
  arguments: Record<string, unknown>;
  /** sha256 of canonicalJson(arguments), computed by the caller (the core does no hashing). */
  argumentsDigest: string;
  egress?: EgressTarget[];
  registry?: Omit<z.input<typeof ServerFactsSchema>, "registered" | "id">;
  action: Action;
  toolRiskTags?: string[];
  subject: z.input<typeof SubjectSchema>;
  time: string;
  requestId?: string;
  transport?: z.infer<typeof ContextSchema>["transport"];
}

/** Builds a v2 envelope from what the gateway knows. An absent registry entry means unregistered. Throws the schema's error on anything invalid. */
export function buildEnvelope(parts: EnvelopeParts): Envelope {
  const method: McpMethod = parts.method ?? "tools/call";
  const targetName = parts.target ?? parts.tool ?? "";
  const serverTags = parts.registry?.risk_tags ?? [];
  const riskTags = [...new Set([...serverTags, ...(parts.toolRiskTags ?? [])])].sort();
  const subject = parts.subject;
  const isToolCall = method === "tools/call";
  const envelope: Envelope = {
    version: "v2",
    call: {
      id: parts.callId,
      method,
      direction: SERVER_TO_CLIENT_METHODS.has(method) ? "server_to_client" : "client_to_server",
      server: parts.server,
      target: { type: TARGET_TYPE_OF[method], name: targetName },
      ...(isToolCall ? { tool: targetName } : {}),
      arguments: parts.arguments,
      arguments_digest: parts.argumentsDigest,
      egress: parts.egress ?? [],
    },
    server: { ...(parts.registry ?? {}), risk_tags: [...serverTags], registered: parts.registry !== undefined, id: parts.server },
    labels: {
      "mcp.action": parts.action,
      "mcp.server": parts.server,
      "mcp.method": method,
      "mcp.target": targetName,
      ...(isToolCall ? { "mcp.tool": targetName } : {}),
    },
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
  // from a client or a server — names, arguments, tags — is checked here;
  // anything unexpected gets the full parse, which throws the schema's own
  // error. A clean envelope is returned as built: a zod pass over every
  // call's arguments was most of building it.
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
    nonEmpty(e.call.server) &&
    nonEmpty(e.call.target.name) &&
    typeof args === "object" &&
    args !== null &&
    !Array.isArray(args) &&
    Object.getPrototypeOf(args) === Object.prototype &&
    DIGEST.test(e.call.arguments_digest) &&
    ActionSchema.options.includes(e.labels["mcp.action"]) &&
    Array.isArray(e.call.egress) &&
    e.call.egress.every((t) => only(t, EgressTargetSchema.shape)) &&
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
