/**
 * @module An Upstream that runs the server as a child process over stdio,
 * supervised: an unexpected exit restarts it with bounded backoff.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpgovError } from "../core/errors.js";
import type { RegistryEntry, StdioTransportConfig } from "../core/gateway-config.js";
import { resolveSecretMap } from "../config/secrets.js";
import { ClientUpstream, type UpstreamOptions } from "./client-upstream.js";
import { maskText } from "../core/secret-mask.js";

const MAX_STDERR_LINE = 2_000;

export class StdioUpstream extends ClientUpstream {
  readonly transport = "stdio" as const;
  protected readonly restartOnExit = true;
  readonly #config: StdioTransportConfig;
  #current: StdioClientTransport | undefined;

  constructor(entry: RegistryEntry, options: UpstreamOptions = {}) {
    super(entry, options);
    if (entry.transport.type !== "stdio") throw new McpgovError("usage", `server '${entry.id}' is not a stdio server`);
    this.#config = entry.transport;
  }

  /** The child's process id while it runs. */
  get pid(): number | null {
    return this.#current?.pid ?? null;
  }

  protected async createTransport(): Promise<Transport> {
    const env = await resolveSecretMap(this.#config.env, `servers.${this.id}.transport.env`, this.env);
    const transport = new StdioClientTransport({
      command: this.#config.command,
      args: this.#config.args,
      // Only the configured variables (on top of the SDK's minimal HOME/PATH/…): the gateway's own secrets stay here.
      env,
      ...(this.#config.cwd !== undefined ? { cwd: this.#config.cwd } : {}),
      // Our stdout may be a protocol stream (mcpgov stdio); the child's stderr goes to the logger, line by line.
      stderr: "pipe",
    });
    const stderr = transport.stderr as Readable | null;
    if (stderr) {
      const lines = createInterface({ input: stderr, crlfDelay: Infinity });
      // A server's stderr is a stranger's text: bounded, and token-shaped values masked, before it reaches the log.
      lines.on("line", (line) => this.logger.info({ upstream: this.id, stderr: maskText(line.slice(0, MAX_STDERR_LINE)) }, "upstream stderr"));
    }
    this.#current = transport;
    return transport;
  }
}
