/**
 * @module What the pipeline mediates: one MCP request that acts or reads
 * data, in either direction, and how its target and data are read from
 * the params the sender chose. Nothing here trusts the params' shape.
 */
import type { McpMethod } from "../../core/envelope.js";
import type { Logger } from "../../logger.js";
import type { Subject } from "../auth.js";

export type Transport = "streamable-http" | "stdio";

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export interface DispatchOptions {
  signal: AbortSignal;
  /** Milliseconds the transport may wait; the pipeline's own deadline governs. */
  timeoutMs: number;
  onProgress?: (progress: Progress) => void;
  /** The W3C traceparent of the upstream-call span, for an HTTP upstream (absent when untraced). */
  traceparent?: string;
}

export interface MediatedRequest {
  method: McpMethod;
  /** The registry id the request is addressed to (client → server) or comes from (server → client). */
  serverId: string;
  /** The request's params exactly as the sender sent them. */
  params: Record<string, unknown>;
  subject: Subject;
  transport: Transport;
  /** The JSON-RPC id, as text. */
  requestId?: string;
  signal: AbortSignal;
  /** The request's logger (its lines carry the HTTP request id). */
  logger?: Logger;
  /** The client's MCP session (Mcp-Session-Id), for the trace. */
  sessionId?: string;
  /**
   * The client's W3C traceparent as received (params._meta.traceparent, else
   * the HTTP header): untrusted text, parsed strictly, used only as the
   * parent of the request's span; it never enters the envelope.
   */
  traceparent?: string;
  /** Set when the client asked for progress. */
  sendProgress?: (progress: Progress) => Promise<void>;
  /**
   * Sends the request on once every stage allowed it: to the upstream for a
   * client's request, to the client for a server's. Only its errors count
   * as upstream failures.
   */
  dispatch: (params: Record<string, unknown>, options: DispatchOptions) => Promise<unknown>;
}

/** The request's target and data as the envelope carries them. */
export interface RequestFacts {
  target: string;
  arguments: Record<string, unknown>;
  /** The params to dispatch (for tools/call, only name and arguments travel on). */
  forward: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === "string" ? value : "");

const LIST_KIND: Partial<Record<McpMethod, string>> = {
  "tools/list": "tools",
  "resources/list": "resources",
  "resources/templates/list": "resource_templates",
  "prompts/list": "prompts",
};

/**
 * Reads target and data from params. A missing or mistyped target comes
 * back as "" (or a non-object as {}), and the envelope's schema then
 * refuses it with the field named: the prepare stage records that DENY.
 */
export function requestFacts(method: McpMethod, params: Record<string, unknown>): RequestFacts {
  switch (method) {
    case "tools/call": {
      const args = params["arguments"] === undefined ? {} : params["arguments"];
      const forward: Record<string, unknown> = { name: params["name"], arguments: args };
      return { target: text(params["name"]), arguments: args as Record<string, unknown>, forward };
    }
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return { target: text(params["uri"]), arguments: { uri: params["uri"] }, forward: params };
    case "prompts/get": {
      const args = params["arguments"] === undefined ? {} : params["arguments"];
      return { target: text(params["name"]), arguments: args as Record<string, unknown>, forward: params };
    }
    case "completion/complete": {
      const ref = isRecord(params["ref"]) ? params["ref"] : {};
      const target = ref["type"] === "ref/prompt" ? text(ref["name"]) : text(ref["uri"]);
      const args: Record<string, unknown> = { ref: params["ref"], argument: params["argument"] };
      if (params["context"] !== undefined) args["context"] = params["context"];
      return { target, arguments: args, forward: params };
    }
    case "logging/setLevel":
      return { target: text(params["level"]), arguments: { level: params["level"] }, forward: params };
    case "sampling/createMessage":
      return { target: "sampling", arguments: params, forward: params };
    case "elicitation/create":
      return { target: "elicitation", arguments: params, forward: params };
    default:
      return { target: LIST_KIND[method] ?? method, arguments: params["cursor"] === undefined ? {} : { cursor: params["cursor"] }, forward: params };
  }
}
