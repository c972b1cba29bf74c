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

interface InFlight {
  server: Server;
  requestId: RequestId;
}

export class ServerRequestRelay {
  private readonly inflight = new Map<string, InFlight[]>();

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
      return call.server.request({ method: request.method, params: request.params }, CreateMessageResultSchema, {
        relatedRequestId: call.requestId,
        signal: extra.signal,
      });
    });
    upstream.client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      const call = this.target(upstream.id, "elicitation", request.method);
      return call.server.request({ method: request.method, params: request.params }, ElicitResultSchema, {
        relatedRequestId: call.requestId,
        signal: extra.signal,
      });
    });
  }
}
