/**
 * @module Requests a server sends to its client (sampling/createMessage,
 * elicitation/create) relayed to the client whose tool call is running.
 *
 * One upstream serves many client sessions, so a server's request has to be
 * matched to a client. It goes to the session with the most recent tool
 * call in flight on that server, on that call's stream. A server with no
 * call in flight has no one to ask: it is refused, so a server cannot
 * prompt a user or a model on its own initiative.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Upstream } from "../upstream/upstream.js";
import type { Subject } from "./auth.js";
import type { Transport } from "./pipeline/request.js";

interface InFlight {
  server: Server;
  requestId: RequestId;
  /** Who the client is: the server's request is decided under the subject whose call it interrupts. */
  subject: Subject;
  transport: Transport;
}

/**
 * Decides and records a server's request before it reaches the client
 * (the gateway installs the pipeline here; see gateway.ts).
 */
export type ServerRequestMediator = (
  method: "sampling/createMessage" | "elicitation/create",
  serverId: string,
  call: InFlight,
  params: Record<string, unknown>,
  signal: AbortSignal,
  send: (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>,
) => Promise<Record<string, unknown>>;

export class ServerRequestRelay {
  private readonly inflight = new Map<string, InFlight[]>();

  /** Unset, nothing is relayed: a server's request is refused rather than passed on ungoverned. */
  mediator: ServerRequestMediator | undefined;

  /** Marks a tool call as running for the duration of `run`. */
  async during<T>(serverId: string, call: InFlight, run: () => Promise<T>): Promise<T> {
    const list = this.inflight.get(serverId) ?? [];
    list.push(call);
    this.inflight.set(serverId, list);
    try {
      return await run();
    } finally {
      const index = list.indexOf(call);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.inflight.delete(serverId);
    }
  }

  private mediate(...args: Parameters<ServerRequestMediator>): Promise<Record<string, unknown>> {
    if (!this.mediator) throw new McpError(ErrorCode.InternalError, `mcpgov refused ${args[0]} from server "${args[1]}": no policy pipeline is installed`);
    return this.mediator(...args);
  }

  private target(serverId: string, capability: "sampling" | "elicitation", method: string): InFlight {
    const calls = this.inflight.get(serverId) ?? [];
    for (let i = calls.length - 1; i >= 0; i--) {
      const call = calls[i]!;
      if (call.server.getClientCapabilities()?.[capability]) return call;
    }
    const why = calls.length === 0 ? "no tool call of a client is in flight on this server" : `the client does not support ${capability}`;
    throw new McpError(ErrorCode.InvalidRequest, `mcpgov refused ${method} from server "${serverId}": ${why}`);
  }

  /** Installs the relay on an upstream's client. */
  attach(upstream: Upstream): void {
    upstream.client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const call = this.target(upstream.id, "sampling", request.method);
      return (await this.mediate("sampling/createMessage", upstream.id, call, request.params as Record<string, unknown>, extra.signal, (params, signal) =>
        call.server.request({ method: request.method, params: params as never }, CreateMessageResultSchema, { relatedRequestId: call.requestId, signal }),
      )) as never;
    });
    upstream.client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      const call = this.target(upstream.id, "elicitation", request.method);
      return (await this.mediate("elicitation/create", upstream.id, call, request.params as Record<string, unknown>, extra.signal, (params, signal) =>
        call.server.request({ method: request.method, params: params as never }, ElicitResultSchema, { relatedRequestId: call.requestId, signal }),
      )) as never;
    });
  }
}
