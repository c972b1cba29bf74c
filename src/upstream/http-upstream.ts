/**
 * @module An Upstream reached over Streamable HTTP. Its headers come only
 * from the registry config; a lost session is reopened by the next call.
 */
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpgovError } from "../core/errors.js";
import type { HttpTransportConfig, RegistryEntry } from "../core/gateway-config.js";
import { resolveSecretMap } from "../gateway/secrets.js";
import { ClientUpstream, type UpstreamOptions } from "./client-upstream.js";

export class HttpUpstream extends ClientUpstream {
  readonly transport = "streamable_http" as const;
  /** No process to restart: the next call opens a new session. */
  protected readonly restartOnExit = false;
  readonly #config: HttpTransportConfig;
  #current: StreamableHTTPClientTransport | undefined;

  constructor(entry: RegistryEntry, options: UpstreamOptions = {}) {
    super(entry, options);
    if (entry.transport.type !== "streamable_http") throw new McpgovError("usage", `server '${entry.id}' is not a streamable_http server`);
    this.#config = entry.transport;
  }

  protected async createTransport(): Promise<Transport> {
    const headers = await resolveSecretMap(this.#config.headers, `servers.${this.id}.transport.headers`, this.env);
    this.#current = new StreamableHTTPClientTransport(new URL(this.#config.url), {
      // A redirect would carry the configured headers to a URL the operator never registered.
      requestInit: { headers, redirect: "error" },
    });
    return this.#current;
  }

  /** An expired session (404) is dropped so the next call opens a new one; an unreachable server is "unavailable". */
  protected override mapError(thrown: unknown, method: string): unknown {
    if (thrown instanceof StreamableHTTPError && thrown.code === 404) {
      void this.client.close();
      return new McpgovError("upstream_unavailable", `server '${this.id}': the session ended during ${method}; the next call opens a new one`, { cause: thrown });
    }
    if (thrown instanceof TypeError && thrown.message === "fetch failed") {
      return new McpgovError("upstream_unavailable", `server '${this.id}': cannot reach ${new URL(this.#config.url).origin} for ${method}`, { cause: thrown });
    }
    return super.mapError(thrown, method);
  }

  protected override async beforeClose(): Promise<void> {
    try {
      await this.#current?.terminateSession();
    } catch {
      // The session may already be gone; closing goes on regardless.
    }
  }
}
