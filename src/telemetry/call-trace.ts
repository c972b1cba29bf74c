/**
 * @module The tracing role as the call path sees it: a span per mediated
 * request with child spans for its stages. The pipeline only ever talks to
 * these interfaces; with tracing off it gets the shared no-op objects below,
 * so an untraced call allocates nothing for tracing and imports no SDK.
 *
 * Spans carry facts, never a call's arguments or output (they may hold
 * secrets): names, ids, the decision, rule ids, the bundle hash.
 */
import type { TraceParent } from "../core/traceparent.js";

export type AttributeValue = string | number | boolean | readonly string[];

export interface TraceSpan {
  set(key: string, value: AttributeValue | undefined): void;
  /** A failure of the gateway or the upstream; a DENY is a successful mediation and never one. */
  fail(message: string): void;
  /** The W3C traceparent naming this span as parent, for the next hop. */
  traceparent(): string | undefined;
  end(): void;
}

export interface CallTrace extends TraceSpan {
  /** The trace the request belongs to (32 hex digits); undefined when untraced. */
  readonly traceId: string | undefined;
  /** A child span of the request's span; `client` for a request sent on to an upstream. */
  child(name: string, kind?: "internal" | "client"): TraceSpan;
}

/** What the request's span is made from. */
export interface CallTraceStart {
  method: string;
  serverId: string;
  /** tools/call: the tool; prompts/get: the prompt. Low-cardinality names only (never a resource URI). */
  tool?: string;
  prompt?: string;
  /** The JSON-RPC id, as text. */
  requestId?: string;
  /** The client's MCP session (Mcp-Session-Id). */
  sessionId?: string;
  transport: "streamable-http" | "stdio";
  /** A parsed, valid traceparent from the client: the request's span is its child. */
  parent?: TraceParent;
}

/** The tracing adapter's face: starts request spans, flushes and stops the exporter. */
export interface Tracing {
  startCall(start: CallTraceStart): CallTrace;
  /** Exports every ended span now; never rejects (a failed export is logged and its spans dropped). */
  flush(): Promise<void>;
  /** Exports what is left and stops; call once, when the gateway closes. */
  shutdown(): Promise<void>;
}

const nothing = (): undefined => undefined;

export const NOOP_SPAN: TraceSpan = { set: nothing, fail: nothing, traceparent: nothing, end: nothing };
export const NOOP_TRACE: CallTrace = { ...NOOP_SPAN, traceId: undefined, child: () => NOOP_SPAN };

/** The span name the MCP semantic conventions give a request: `{mcp.method.name} {target}`, target only for a tool or prompt. */
export function callSpanName(start: Pick<CallTraceStart, "method" | "tool" | "prompt">): string {
  const target = start.tool ?? start.prompt;
  return target ? `${start.method} ${target}` : start.method;
}
