/**
 * @module `mcpgov stdio [--server ID]`: the same enforcement for desktop
 * clients that launch a command and speak MCP over its stdin and stdout;
 * one server, or without --server every registered server, aggregated.
 */
import { userInfo } from "node:os";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { pino } from "pino";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { startGateway } from "../../src/gateway/gateway.js";
import { createProxyServer } from "../../src/gateway/proxy-server.js";
import { createAggregateServer } from "../../src/gateway/aggregate/aggregate-server.js";
import type { CliIo } from "../io.js";

export function stdioCommand(io: CliIo) {
  return {
    command: "stdio",
    describe: "serve one registered server (or, without --server, all of them) to an MCP client over stdio, governed",
    builder: (y: Argv) =>
      y
        .option("config", { alias: "c", type: "string", default: io.env["MCPGOV_CONFIG"] ?? "mcpgov.yaml", describe: "gateway config (MCPGOV_CONFIG)" })
        .option("server", { alias: "s", type: "string", describe: "registry id of the server; without it, every registered server under namespaced names (<server>__<tool>)" })
        .option("subject", { type: "string", describe: "who the calls are made for (default: MCPGOV_SUBJECT, else local:<user>)" })
        .option("scopes", { type: "string", describe: "the subject's scopes, space-separated (default: MCPGOV_SCOPES, else mcp:read mcp:write mcp:destructive)" }),
    handler: async (argv: { config: string; server?: string; subject?: string; scopes?: string }) => {
      // No HTTP, so no client authenticates: the subject comes from --subject, not from the API keys or JWT settings.
      const config = await loadGatewayConfig(argv.config, { env: io.env, httpAuth: false });
      if (argv.server !== undefined && !config.servers.some((s) => s.id === argv.server)) {
        throw new McpgovError("usage", `no server '${argv.server}' in ${argv.config} (registered: ${config.servers.map((s) => s.id).join(", ") || "none"})`);
      }
      // stdout is the protocol channel: logs go to stderr only.
      const logger = pino({ level: "info", base: { service: "mcpgov", mode: "stdio" } }, pino.destination(2));
      const gateway = await startGateway(config, { env: io.env, logger, http: false, ...(argv.server !== undefined ? { only: [argv.server] } : {}) });
      // A local process is its user's agent; the subject names that user unless the operator says otherwise.
      const subjectId = argv.subject ?? io.env["MCPGOV_SUBJECT"] ?? `local:${userInfo().username}`;
      // The local user holds every action's scope unless told otherwise; the policy still decides each call.
      const scopes = (argv.scopes ?? io.env["MCPGOV_SCOPES"] ?? "mcp:read mcp:write mcp:destructive").split(/\s+/).filter(Boolean);
      const subject = { id: subjectId, roles: [], scopes };
      const session = argv.server === undefined ? createAggregateServer(gateway.ctx, subject, "stdio", gateway.onListChanged) : createProxyServer(gateway.ctx, argv.server, subject, "stdio");
      if (argv.server !== undefined) {
        const serverId = argv.server;
        // A rug pull re-checks the pins; the client must hear that its tool list changed, as over HTTP.
        gateway.onToolsChanged((changed) => {
          if (changed === serverId) void session.server.sendToolListChanged().catch(() => undefined);
        });
      }
      const transport = new StdioServerTransport();
      const closed = new Promise<string>((resolve) => {
        transport.onclose = () => resolve("transport closed");
        process.stdin.once("end", () => resolve("stdin closed"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
        process.once("SIGINT", () => resolve("SIGINT"));
      });
      await session.server.connect(transport);
      const why = await closed;
      // Calls already running finish within shutdown.grace_sec; their answers still go out on stdout.
      logger.info({ reason: why, grace_sec: config.shutdown.grace_sec }, "shutting down");
      const { finished, cancelled } = await gateway.shutdown();
      if ("close" in session) await session.close();
      await session.server.close().catch(() => undefined);
      logger.info({ finished, cancelled }, `shutdown complete: ${finished} call(s) finished, ${cancelled} cancelled; exiting 0`);
      return 0 as const;
    },
  };
}
