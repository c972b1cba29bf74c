/**
 * @module One JSON-RPC request POSTed on an upstream's established
 * Streamable HTTP session without the SDK client: a pooled keep-alive
 * connection, headers and body in one write, the answer read as JSON or
 * SSE. The gateway's profile showed the SDK client's fetch-based send as
 * its largest cost per call after the audit commit (a chunked body written
 * in several packets, a per-request listener on a long-lived AbortSignal).
 *
 * Semantics are the SDK client's, so the Upstream contract holds either
 * way: the same timeout error, notifications/cancelled on abort or timeout,
 * the server's JSON-RPC error as an McpError, HTTP errors as
 * StreamableHTTPError, and every other message in an SSE answer (a
 * server's request, a notification) handed to the SDK client as if its own
 * transport had read it. The caller maps errors (`mapError`).
 */
import { type Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { type Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, type JSONRPCMessage, McpError } from "@modelcontextprotocol/sdk/types.js";

export interface LeanHttpCall {
  url: URL;
  agent: HttpAgent | HttpsAgent;
  /** The registry's headers, then the session's (Mcp-Session-Id, Mcp-Protocol-Version). */
  headers: Record<string, string>;
  id: string;
  method: string;
  params: Record<string, unknown> | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Sends notifications/cancelled for `id` (through the SDK client, on the same session). */
  cancel(reason: string): void;
  /** Messages in the answer that are not the response: given to the SDK client. */
  deliver(message: JSONRPCMessage): void;
}

/** Thrown when the connection failed or ended before the response: the caller reports the upstream unavailable. */
export class LeanTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LeanTransportError";
  }
}

type Message = Record<string, unknown>;

/** Splits an SSE body into its events' data (the `message` events; others are not MCP). */
class SseReader {
  private buffer = "";
  constructor(private readonly onData: (data: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!match) return;
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        if (field === "data") data.push(value);
      }
      if (event === "message" && data.length > 0) this.onData(data.join("\n"));
    }
  }
}

interface Target {
  href: string;
  options: { protocol: string; hostname: string; port: string; path: string; auth?: string };
}

/**
 * Where a URL points, as request options. Given the URL object, Node
 * converts it on every request (urlToHttpOptions); an upstream's URL does
 * not change, so the conversion is kept, and redone if the href differs.
 */
const targets = new WeakMap<URL, Target>();
function target(url: URL): Target["options"] {
  let known = targets.get(url);
  if (known?.href !== url.href) {
    // As urlToHttpOptions: an IPv6 host without brackets, credentials as `auth`.
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const auth = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
    known = { href: url.href, options: { protocol: url.protocol, hostname, port: url.port, path: `${url.pathname}${url.search}`, ...(auth !== undefined ? { auth } : {}) } };
    targets.set(url, known);
  }
  return known.options;
}

export function leanHttpCall(call: LeanHttpCall): Promise<Message> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: call.id, method: call.method, ...(call.params !== undefined ? { params: call.params } : {}) });
  return new Promise<Message>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    // As the SDK client: notifications/cancelled, then the reason as an McpError.
    const giveUp = (reason: unknown): void => {
      settle(() => {
        call.cancel(String(reason));
        req.destroy();
        reject(reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason)));
      });
    };
    const onAbort = (): void => giveUp(call.signal?.reason);
    const timer = setTimeout(() => giveUp(McpError.fromError(ErrorCode.RequestTimeout, "Request timed out", { timeout: call.timeoutMs })), call.timeoutMs);

    const onMessage = (message: Message): void => {
      const isResponse = !("method" in message) && message["id"] === call.id;
      if (!isResponse) {
        call.deliver(message as JSONRPCMessage);
        return;
      }
      const error = message["error"] as { code?: unknown; message?: unknown; data?: unknown } | undefined;
      if (error !== undefined) {
        settle(() => reject(McpError.fromError(Number(error.code), String(error.message ?? ""), error.data)));
        return;
      }
      const result = message["result"];
      if (typeof result !== "object" || result === null || Array.isArray(result)) {
        settle(() => reject(new McpError(ErrorCode.InvalidParams, `server answered ${call.method} with a result that is not an object`)));
        return;
      }
      settle(() => resolve(result as Message));
    };
    const onMessages = (text: string): void => {
      const parsed = JSON.parse(text) as unknown;
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (typeof m === "object" && m !== null) onMessage(m as Message);
    };

    const onResponse = (res: IncomingMessage): void => {
      res.setEncoding("utf8");
      const status = res.statusCode ?? 0;
      const type = String(res.headers["content-type"] ?? "").toLowerCase();
      let text = "";
      const sse = status >= 200 && status < 300 && type.startsWith("text/event-stream") ? new SseReader((data) => {
        try {
          onMessages(data);
        } catch (cause) {
          settle(() => reject(new LeanTransportError(`invalid JSON in the server's event stream: ${(cause as Error).message}`, { cause })));
        }
      }) : undefined;
      res.on("data", (chunk: string) => (sse ? sse.push(chunk) : (text += chunk)));
      res.on("error", (cause) => settle(() => reject(new LeanTransportError(`the answer broke off: ${cause.message}`, { cause }))));
      res.on("end", () => {
        if (settled) return;
        if (status < 200 || status >= 300) {
          settle(() => reject(new StreamableHTTPError(status, `Error POSTing to endpoint: ${text}`)));
          return;
        }
        if (!sse) {
          if (!type.startsWith("application/json")) {
            settle(() => reject(new StreamableHTTPError(-1, `Unexpected content type: ${type}`)));
            return;
          }
          try {
            onMessages(text);
          } catch (cause) {
            settle(() => reject(new LeanTransportError(`invalid JSON from the server: ${(cause as Error).message}`, { cause })));
            return;
          }
        }
        settle(() => reject(new LeanTransportError(`the server ended its answer to ${call.method} without a response`)));
      });
    };

    const send = call.url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      {
        ...target(call.url),
        method: "POST",
        agent: call.agent as HttpAgent,
        headers: {
          ...call.headers,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": String(Buffer.byteLength(body)),
        },
      },
      onResponse,
    );
    req.on("error", (cause) => settle(() => reject(new LeanTransportError(`cannot reach ${call.url.origin}: ${cause.message}`, { cause }))));
    if (call.signal?.aborted) {
      onAbort();
      return;
    }
    call.signal?.addEventListener("abort", onAbort, { once: true });
    req.end(body);
  });
}
