/**
 * @module An Upstream reached over Streamable HTTP. Its headers come only
 * from the registry config; a lost session is reopened by the next call.
 * The SDK client opens the session and carries everything else; tools/call
 * (the hot path) is POSTed on that session by `leanHttpCall` over a pooled
 * keep-alive connection, unless the caller wants progress (which needs the
 * SDK client's progress handlers).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpgovError } from "../core/errors.js";
import type { HttpTransportConfig, RegistryEntry } from "../core/gateway-config.js";
import { resolveSecretMap } from "../config/secrets.js";
import { ClientUpstream, type UpstreamOptions } from "./client-upstream.js";
import { LeanTransportError, leanHttpCall } from "./lean-http-call.js";
import type { UpstreamRequestOptions } from "./upstream.js";

/** The SDK client's default when neither the call nor the gateway sets one. */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The traceparent of the request the SDK client is sending in this async
 * context: its transport builds the HTTP request deep inside the client,
 * so the header is added by the fetch it is given (`tracingFetch`).
 */
const currentTraceparent = new AsyncLocalStorage<string>();

const tracingFetch: FetchLike = (url, init) => {
  const traceparent = currentTraceparent.getStore();
  if (traceparent === undefined) return fetch(url, init);
  const headers = new Headers(init?.headers);
  headers.set("traceparent", traceparent);
  return fetch(url, { ...init, headers });
};

export class HttpUpstream extends ClientUpstream {
  readonly transport = "streamable_http" as const;
  /** No process to restart: the next call opens a new session. */
  protected readonly restartOnExit = false;
  readonly #config: HttpTransportConfig;
  #current: StreamableHTTPClientTransport | undefined;
  #headers: Record<string, string> = {};
  #leanIds = 0;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(entry: RegistryEntry, options: UpstreamOptions = {}) {
    super(entry, options);
    if (entry.transport.type !== "streamable_http") throw new McpgovError("usage", `server '${entry.id}' is not a streamable_http server`);
    this.#config = entry.transport;
    this.#url = new URL(entry.transport.url);
    this.#agent = this.#url.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  override async request(method: string, params?: Record<string, unknown>, options?: UpstreamRequestOptions): Promise<Record<string, unknown>> {
    if (method !== "tools/call" || options?.onprogress) return this.#sdkRequest(method, params, options);
    await this.ready();
    const transport = this.#current;
    if (!transport) return this.#sdkRequest(method, params, options);
    const headers: Record<string, string> = { ...this.#headers };
    // The caller's trace context, set after the registry's headers: the current call's, not a configured one.
    if (options?.traceparent !== undefined) headers["traceparent"] = options.traceparent;
    if (transport.sessionId) headers["mcp-session-id"] = transport.sessionId;
    if (transport.protocolVersion) headers["mcp-protocol-version"] = transport.protocolVersion;
    // Not a number: the SDK client numbers its own requests on the same session.
    const id = `mcpgov-${++this.#leanIds}`;
    try {
      return await leanHttpCall({
        url: this.#url,
        agent: this.#agent,
        headers,
        id,
        method,
        params,
        timeoutMs: options?.timeout ?? this.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: options?.signal,
        cancel: (reason) =>
          void transport.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } }).catch(() => undefined),
        deliver: (message) => transport.onmessage?.(message),
      });
    } catch (thrown) {
      throw this.mapError(thrown, method);
    }
  }

  /** Through the SDK client, with the traceparent (if any) on the HTTP request it sends. */
  #sdkRequest(method: string, params: Record<string, unknown> | undefined, options: UpstreamRequestOptions | undefined): Promise<Record<string, unknown>> {
    const traceparent = options?.traceparent;
    if (traceparent === undefined) return super.request(method, params, options);
    return currentTraceparent.run(traceparent, () => super.request(method, params, options));
  }

  protected async createTransport(): Promise<Transport> {
    const headers = await resolveSecretMap(this.#config.headers, `servers.${this.id}.transport.headers`, this.env);
    this.#headers = headers;
    this.#current = new StreamableHTTPClientTransport(new URL(this.#config.url), {
      // A redirect would carry the configured headers to a URL the operator never registered.
      requestInit: { headers, redirect: "error" },
      fetch: tracingFetch,
    });
    return this.#current;
  }

  /** An expired session (404) is dropped so the next call opens a new one; an unreachable server is "unavailable". */
  protected override mapError(thrown: unknown, method: string): unknown {
    if (thrown instanceof StreamableHTTPError && thrown.code === 404) {
      void this.client.close();
      return new McpgovError("upstream_unavailable", `server '${this.id}': the session ended during ${method}; the next call opens a new one`, { cause: thrown });
    }
    if (thrown instanceof LeanTransportError) {
      return new McpgovError("upstream_unavailable", `server '${this.id}': ${thrown.message} (${method})`, { cause: thrown });
    }
    if (thrown instanceof TypeError && thrown.message === "fetch failed") {
      return new McpgovError("upstream_unavailable", `server '${this.id}': cannot reach ${new URL(this.#config.url).origin} for ${method}`, { cause: thrown });
    }
    return super.mapError(thrown, method);
  }

  protected override async beforeClose(): Promise<void> {
    this.#agent.destroy();
    try {
      await this.#current?.terminateSession();
    } catch {
      // The session may already be gone; closing goes on regardless.
    }
  }
}
