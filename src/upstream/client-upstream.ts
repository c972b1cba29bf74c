/**
 * @module What every Upstream shares: one reusable SDK Client, connecting
 * and reconnecting, supervised restarts with bounded backoff, raw requests,
 * paginated raw tool listing, roots and events. Subclasses supply the transport.
 */
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ErrorCode,
  type Implementation,
  type JSONRPCMessage,
  ListRootsRequestSchema,
  type MessageExtraInfo,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  type ServerCapabilities,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { describeThrown, McpgovError } from "../core/errors.js";
import type { RegistryEntry } from "../core/gateway-config.js";
import { type RawTool, RawToolsPageSchema } from "../core/raw-tool.js";
import { constrainRoots } from "./roots.js";
import { type Logger, silentLogger } from "../logger.js";
import type { Upstream, UpstreamEvent, UpstreamListener, UpstreamRequestOptions, UpstreamState } from "./upstream.js";

export interface RestartPolicy {
  /** Consecutive restart attempts before giving up (the next call still tries once). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** A connection that lasted this long resets the attempt count. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxAttempts: 5, initialDelayMs: 250, maxDelayMs: 10_000, stableAfterMs: 30_000 };

export interface UpstreamOptions {
  /** Where secrets (from_env) are read; the gateway's environment, never a client's. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Default timeout of each request (limits.upstream_timeout_sec). */
  requestTimeoutMs?: number;
  restart?: Partial<RestartPolicy>;
  clientInfo?: Implementation;
}

/** A raw result: whatever the server sent, unknown fields kept. */
const RawResultSchema = z.looseObject({});

/** A server that pages forever is a broken (or hostile) server. */
const MAX_TOOL_PAGES = 100;

export abstract class ClientUpstream implements Upstream {
  abstract readonly transport: "stdio" | "streamable_http";
  readonly id: string;
  readonly client: Client;
  protected readonly entry: RegistryEntry;
  protected readonly env: Record<string, string | undefined>;
  protected readonly logger: Logger;
  /** Whether an unexpected close starts supervised restarts (a process) or waits for the next call (a session). */
  protected abstract readonly restartOnExit: boolean;

  #state: UpstreamState = "idle";
  #connecting: Promise<Client> | undefined;
  #listeners = new Set<UpstreamListener>();
  #roots: string[];
  #attempts = 0;
  #connectedAt = 0;
  #stop = new AbortController();
  readonly #policy: RestartPolicy;
  readonly #timeoutMs: number | undefined;

  constructor(entry: RegistryEntry, options: UpstreamOptions = {}) {
    this.id = entry.id;
    this.entry = entry;
    this.env = options.env ?? {};
    this.logger = options.logger ?? silentLogger;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.#timeoutMs = options.requestTimeoutMs;
    this.#roots = [...entry.roots];
    // Roots are declared only when the operator configured some: a server
    // that asks for roots then sees exactly those, never a client's wider ones.
    // Sampling and elicitation are declared so a server may ask the client
    // behind the gateway; the gateway relays only while that client's tool call runs.
    this.client = new Client(options.clientInfo ?? { name: "mcpgov", version: "0.1.0" }, {
      capabilities: { sampling: {}, elicitation: {}, ...(entry.roots.length > 0 ? { roots: { listChanged: true } } : {}) },
    });
    if (entry.roots.length > 0) {
      this.client.setRequestHandler(ListRootsRequestSchema, () => ({
        roots: this.#roots.map((path) => ({ uri: pathToFileURL(path).href, name: basename(path) })),
      }));
    }
    this.client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.#emit({ type: "tools_list_changed", upstream: this.id }));
    this.client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.#emit({ type: "prompts_list_changed", upstream: this.id }));
    this.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.#emit({ type: "resources_list_changed", upstream: this.id }));
    this.client.onclose = () => this.#onClosed();
    this.client.onerror = (error) => this.logger.warn({ upstream: this.id, error: error.message }, "upstream transport error");
  }

  /** The default timeout of each request (limits.upstream_timeout_sec), for subclasses that send some requests themselves. */
  protected get requestTimeoutMs(): number | undefined {
    return this.#timeoutMs;
  }

  /** A fresh transport for each connection, with secrets resolved now (so rotated ones are picked up). */
  protected abstract createTransport(): Promise<Transport>;

  get state(): UpstreamState {
    return this.#state;
  }

  get serverInfo(): Implementation | undefined {
    return this.client.getServerVersion();
  }

  get serverCapabilities(): ServerCapabilities | undefined {
    return this.client.getServerCapabilities();
  }

  async connect(): Promise<void> {
    await this.ready();
  }

  ready(): Promise<Client> {
    if (this.#state === "closed") return Promise.reject(this.#unavailable("the upstream is closed"));
    if (this.#state === "connected") return Promise.resolve(this.client);
    // A restart in progress (or its backoff) is the reconnect this call waits for.
    this.#connecting ??= this.#connectOnce().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async request(method: string, params?: Record<string, unknown>, options?: UpstreamRequestOptions): Promise<Record<string, unknown>> {
    const client = await this.ready();
    const timeout = options?.timeout ?? this.#timeoutMs;
    // The traceparent is a transport header (HttpUpstream sends it); the SDK client takes only its own options.
    const { traceparent: _traceparent, ...sdkOptions } = options ?? {};
    try {
      return await client.request(params === undefined ? { method } : { method, params }, RawResultSchema, {
        ...sdkOptions,
        ...(timeout !== undefined ? { timeout } : {}),
      });
    } catch (thrown) {
      throw this.mapError(thrown, method);
    }
  }

  async listToolsRaw(options?: RequestOptions): Promise<RawTool[]> {
    await this.ready();
    if (!this.serverCapabilities?.tools) return [];
    const tools: RawTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const result = await this.request("tools/list", cursor === undefined ? {} : { cursor }, options);
      const parsed = RawToolsPageSchema.safeParse(result);
      if (!parsed.success) throw new McpgovError("upstream_error", `server '${this.id}' sent an invalid tools/list result`, { cause: parsed.error });
      tools.push(...parsed.data.tools);
      cursor = parsed.data.nextCursor;
      if (cursor === undefined) return tools;
      if (seen.has(cursor)) throw new McpgovError("upstream_error", `server '${this.id}' repeated a tools/list cursor`);
      seen.add(cursor);
    }
    throw new McpgovError("upstream_error", `server '${this.id}' sent more than ${MAX_TOOL_PAGES} pages of tools`);
  }

  async setRoots(roots: readonly string[]): Promise<{ allowed: string[]; refused: string[] }> {
    const result = constrainRoots(this.entry.roots, roots);
    this.#roots = result.allowed;
    if (this.#state === "connected" && this.entry.roots.length > 0) await this.client.sendRootsListChanged();
    return result;
  }

  on(listener: UpstreamListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stop.abort();
    await this.beforeClose();
    await this.client.close();
  }

  /** Ends a session politely before the client closes (HTTP); nothing for a process. */
  protected async beforeClose(): Promise<void> {}

  /** Connection loss and timeouts become one clean error; a server's own JSON-RPC error stays as it is. */
  protected mapError(thrown: unknown, method: string): unknown {
    if (thrown instanceof McpError && thrown.code === ErrorCode.ConnectionClosed) {
      return this.#unavailable(`the connection closed during ${method}`, thrown);
    }
    if (thrown instanceof McpError && thrown.code === ErrorCode.RequestTimeout) {
      return new McpgovError("upstream_unavailable", `server '${this.id}' did not answer ${method} in time`, { data: { reason: "timeout" }, cause: thrown });
    }
    if (thrown instanceof Error && thrown.message === "Not connected") return this.#unavailable(`not connected for ${method}`, thrown);
    return thrown;
  }

  async #connectOnce(): Promise<Client> {
    this.#state = "connecting";
    try {
      const transport = await this.createTransport();
      await this.client.connect(transport, this.#timeoutMs !== undefined ? { timeout: this.#timeoutMs } : undefined);
      keepProgressBeforeResponse(transport);
    } catch (thrown) {
      if (!this.#stop.signal.aborted) this.#state = "disconnected";
      throw thrown instanceof McpgovError ? thrown : this.#unavailable(`cannot connect: ${describeThrown(thrown)}`, thrown);
    }
    if (this.#stop.signal.aborted) {
      await this.client.close();
      throw this.#unavailable("the upstream is closed");
    }
    this.#state = "connected";
    this.#connectedAt = Date.now();
    this.logger.info({ upstream: this.id, server: this.serverInfo }, "upstream connected");
    return this.client;
  }

  #onClosed(): void {
    // Only a live connection that ends is an exit; failures while connecting are reported by connect.
    if (this.#state !== "connected") return;
    this.#state = "disconnected";
    this.logger.warn({ upstream: this.id }, "upstream connection ended unexpectedly");
    this.#emit({ type: "exited", upstream: this.id });
    if (Date.now() - this.#connectedAt >= this.#policy.stableAfterMs) this.#attempts = 0;
    if (!this.restartOnExit) return;
    this.#state = "restarting";
    const restarting = this.#restartLoop().finally(() => (this.#connecting = undefined));
    restarting.catch(() => undefined); // the loop reports through events; callers see their own rejection
    this.#connecting = restarting;
  }

  /** Restarts with exponential backoff until connected, closed, or out of attempts. */
  async #restartLoop(): Promise<Client> {
    let lastError: unknown;
    while (this.#attempts < this.#policy.maxAttempts) {
      const attempt = ++this.#attempts;
      const delay = Math.min(this.#policy.initialDelayMs * 2 ** (attempt - 1), this.#policy.maxDelayMs);
      this.#emit({ type: "restarting", upstream: this.id, attempt, delay_ms: delay });
      await sleep(delay, this.#stop.signal);
      if (this.#stop.signal.aborted) throw this.#unavailable("the upstream is closed");
      try {
        const client = await this.#connectOnce();
        this.#emit({ type: "restarted", upstream: this.id, attempt, ...(this.serverInfo ? { server_info: this.serverInfo } : {}) });
        return client;
      } catch (thrown) {
        lastError = thrown;
        if (this.#stop.signal.aborted) throw thrown;
        this.#state = "restarting";
        this.logger.warn({ upstream: this.id, attempt, error: describeThrown(thrown) }, "upstream restart failed");
      }
    }
    this.#state = "failed";
    const error = describeThrown(lastError ?? "the server kept exiting");
    this.#emit({ type: "gave_up", upstream: this.id, attempts: this.#attempts, error });
    this.logger.error({ upstream: this.id, attempts: this.#attempts, error }, "upstream restarts exhausted");
    // The next call starts a fresh round rather than failing forever.
    this.#attempts = 0;
    throw this.#unavailable(`restarts failed after ${this.#policy.maxAttempts} attempts: ${error}`, lastError);
  }

  #emit(event: UpstreamEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (thrown) {
        this.logger.error({ upstream: this.id, event: event.type, error: describeThrown(thrown) }, "upstream event listener threw");
      }
    }
  }

  #unavailable(message: string, cause?: unknown): McpgovError {
    return new McpgovError("upstream_unavailable", `server '${this.id}': ${message}`, cause === undefined ? {} : { cause });
  }
}

/**
 * The SDK runs notification handlers a microtask after a message arrives
 * but handles a response at once, dropping the request's progress handler.
 * A server that sends its last progress notification and then its result
 * (which stdio delivers in one read) would lose that notification. Handing
 * responses on a microtask later too keeps the server's order.
 */
function keepProgressBeforeResponse(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = ((message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    const isResponse = "id" in message && !("method" in message);
    if (isResponse) void Promise.resolve().then(() => deliver(message, extra));
    else deliver(message, extra);
  }) as Transport["onmessage"];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
