/**
 * @module `mcpgov stdio --server ID`: the same enforcement for desktop
 * clients that launch a command and speak MCP over its stdin and stdout.
 */
import { userInfo } from "node:os";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { pino } from "pino";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { startGateway } from "../../src/gateway/gateway.js";
import { createProxyServer } from "../../src/gateway/proxy-server.js";
import type { CliIo } from "../io.js";

export function stdioCommand(io: CliIo) {
  return {
    command: "stdio",
    describe: "serve one registered server to an MCP client over stdio, governed",
    builder: (y: Argv) =>
      y
        .option("config", { alias: "c", type: "string", default: "mcpgov.yaml" })
        .option("server", { alias: "s", type: "string", demandOption: true, describe: "registry id of the server" })
        .option("subject", { type: "string", describe: "who the calls are made for (default: MCPGOV_SUBJECT, else local:<user>)" })
        .option("scopes", { type: "string", describe: "the subject's scopes, space-separated (default: MCPGOV_SCOPES, else mcp:read mcp:write mcp:destructive)" }),
    handler: async (argv: { config: string; server: string; subject?: string; scopes?: string }) => {
      const config = await loadGatewayConfig(argv.config, { env: io.env });
      if (!config.servers.some((s) => s.id === argv.server)) {
        throw new McpgovError("usage", `no server '${argv.server}' in ${argv.config} (registered: ${config.servers.map((s) => s.id).join(", ") || "none"})`);
      }
      // stdout is the protocol channel: logs go to stderr only.
      const logger = pino({ level: "info", base: { service: "mcpgov", mode: "stdio" } }, pino.destination(2));
      const gateway = await startGateway(config, { env: io.env, logger, http: false, only: [argv.server] });
      // A local process is its user's agent; the subject names that user unless the operator says otherwise.
      const subjectId = argv.subject ?? io.env["MCPGOV_SUBJECT"] ?? `local:${userInfo().username}`;
      // The local user holds every action's scope unless told otherwise; the policy still decides each call.
      const scopes = (argv.scopes ?? io.env["MCPGOV_SCOPES"] ?? "mcp:read mcp:write mcp:destructive").split(/\s+/).filter(Boolean);
      const session = createProxyServer(gateway.ctx, argv.server, { id: subjectId, roles: [], scopes }, "stdio");
      // A rug pull re-checks the pins; the client must hear that its tool list changed, as over HTTP.
      gateway.onToolsChanged((serverId) => {
        if (serverId === argv.server) void session.server.sendToolListChanged().catch(() => undefined);
      });
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
      await session.server.close().catch(() => undefined);
      logger.info({ finished, cancelled }, `shutdown complete: ${finished} call(s) finished, ${cancelled} cancelled; exiting 0`);
      return 0 as const;
    },
  };
}
