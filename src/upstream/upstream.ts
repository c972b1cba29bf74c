/**
 * @module The Upstream role: one MCP server behind the gateway, reached
 * through one SDK Client. Implementations: StdioUpstream, HttpUpstream.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Implementation, ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { RawTool } from "../core/raw-tool.js";

export type UpstreamState = "idle" | "connecting" | "connected" | "restarting" | "disconnected" | "failed" | "closed";

export type UpstreamEvent =
  /** The server sent notifications/tools/list_changed: list again and check the pins again. */
  | { type: "tools_list_changed"; upstream: string }
  /** The server sent notifications/prompts/list_changed or notifications/resources/list_changed. */
  | { type: "prompts_list_changed"; upstream: string }
  | { type: "resources_list_changed"; upstream: string }
  /** The connection ended without close() (a stdio child exited, say). */
  | { type: "exited"; upstream: string }
  | { type: "restarting"; upstream: string; attempt: number; delay_ms: number }
  /** Connected again after an exit. Tools may differ: list again and check the pins again. */
  | { type: "restarted"; upstream: string; attempt: number; server_info?: Implementation }
  /** Restarts stopped after the bounded number of attempts; the next call tries once more. */
  | { type: "gave_up"; upstream: string; attempts: number; error: string };

export type UpstreamListener = (event: UpstreamEvent) => void;

/** The SDK's request options, and the caller's W3C traceparent (sent as a header to an HTTP upstream; stdio has no headers). */
export type UpstreamRequestOptions = RequestOptions & { traceparent?: string };

export interface Upstream {
  /** The registry id. */
  readonly id: string;
  readonly transport: "stdio" | "streamable_http";
  readonly state: UpstreamState;

  /** Starts the server or opens the session and runs initialize. Resolves at once when already connected. */
  connect(): Promise<void>;

  /**
   * The SDK Client. The same object across restarts (it is reconnected, not
   * replaced), so notification handlers set on it stay; but it is only
   * usable while `state` is "connected": prefer request() or ready().
   */
  readonly client: Client;

  /** A connected client; reconnects first when the server went away or restarts are pending. */
  ready(): Promise<Client>;

  /**
   * Sends one request and returns the raw result, unknown fields included.
   * A connection lost or a timeout becomes McpgovError "upstream_unavailable";
   * an error the server answered with (McpError) is rethrown unchanged.
   */
  request(method: string, params?: Record<string, unknown>, options?: UpstreamRequestOptions): Promise<Record<string, unknown>>;

  /** Every tool across all pages, each exactly as the server listed it. */
  listToolsRaw(options?: RequestOptions): Promise<RawTool[]>;

  /** From the last initialize result; undefined before the first connect. */
  readonly serverInfo: Implementation | undefined;
  readonly serverCapabilities: ServerCapabilities | undefined;

  /**
   * Narrows the roots the server sees (absolute paths or file:// URIs) to
   * those inside the operator's roots; the rest are refused, never widened to.
   */
  setRoots(roots: readonly string[]): Promise<{ allowed: string[]; refused: string[] }>;

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: UpstreamListener): () => void;

  /** Stops the server or ends the session. Final: the upstream does not reconnect after it. */
  close(): Promise<void>;
}
