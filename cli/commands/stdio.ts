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
        .option("config", { alias: "c", type: "string", default: io.env["MCPGOV_CONFIG"] ?? "mcpgov.yaml", describe: "gateway config (MCPGOV_CONFIG)" })
        .option("server", { alias: "s", type: "string", demandOption: true, describe: "registry id of the server" })
        .option("subject", { type: "string", describe: "who the calls are made for (default: MCPGOV_SUBJECT, else local:<user>)" })
        .option("scopes", { type: "string", describe: "the subject's scopes, space-separated (default: MCPGOV_SCOPES, else mcp:read mcp:write mcp:destructive)" }),
    handler: async (argv: { config: string; server: string; subject?: string; scopes?: string }) => {
      // No HTTP, so no client authenticates: the subject comes from --subject, not from the API keys or JWT settings.
      const config = await loadGatewayConfig(argv.config, { env: io.env, httpAuth: false });
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
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once("end", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      await session.server.connect(transport);
      await closed;
      await gateway.close();
      return 0 as const;
    },
  };
}
