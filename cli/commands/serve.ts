/** @module `mcpgov serve --config mcpgov.yaml`: the gateway over Streamable HTTP. */
import { pino } from "pino";
import type { Argv } from "yargs";
import type { ToolCatalog } from "../../src/gateway/tool-catalog.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { startGateway } from "../../src/gateway/gateway.js";
import type { CliIo } from "../io.js";

/** Exit code when a second SIGTERM/SIGINT cuts the drain short. */
export const EXIT_FORCED = 3;

export function serveCommand(io: CliIo) {
  return {
    command: "serve",
    describe: "run the gateway: govern MCP clients' tool calls to the registered servers",
    builder: (y: Argv) =>
      y
        .option("config", { alias: "c", type: "string", default: io.env["MCPGOV_CONFIG"] ?? "mcpgov.yaml", describe: "gateway config (MCPGOV_CONFIG)" })
        .option("host", { type: "string", describe: "listen address (overrides the config and MCPGOV_LISTEN_HOST)" })
        .option("port", { type: "number", describe: "listen port (overrides the config and MCPGOV_LISTEN_PORT)" })
        .option("decision-timeout-ms", { type: "number", describe: "deadline of one policy evaluation (overrides limits.decision_timeout_ms and MCPGOV_DECISION_TIMEOUT_MS)" })
        .option("log-level", { choices: ["debug", "info", "warn", "error"] as const, default: "info" as const }),
    handler: async (argv: { config: string; host?: string; port?: number; decisionTimeoutMs?: number; logLevel: string }) => {
      const config = await loadGatewayConfig(argv.config, {
        env: io.env,
        overrides: {
          listen: { ...(argv.host ? { host: argv.host } : {}), ...(argv.port !== undefined ? { port: argv.port } : {}) },
          ...(argv.decisionTimeoutMs !== undefined ? { limits: { decision_timeout_ms: argv.decisionTimeoutMs } } : {}),
        },
      });
      for (const warning of config.warnings) io.err(`mcpgov: warning: ${warning}`);
      // Logs are JSON on stderr; stdout carries only what a person needs to connect.
      const logger = pino({ level: argv.logLevel, base: { service: "mcpgov" } }, pino.destination(2));
      const gateway = await startGateway(config, { env: io.env, logger });
      io.out(`mcpgov gateway listening on ${gateway.url}`);
      io.out(`bundle ${gateway.ctx.bundles.current().bundle.hash} (revision ${gateway.ctx.bundles.current().bundle.revision || "none"})`);
      for (const entry of config.servers) {
        const state = gateway.ctx.upstreams.get(entry.id)?.state ?? "unknown";
        const tools = state === "connected" ? await gateway.ctx.catalogs.get(entry.id)?.settledSummary() : undefined;
        io.out(`  ${entry.id.padEnd(12)} ${gateway.url}/mcp/${entry.id}   (${serverStatus(entry.id, state, tools)})`);
      }
      io.out(`connect an MCP client over Streamable HTTP to one of these URLs with \`Authorization: Bearer <key>\`; /metrics, /healthz, /readyz`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      // A second signal means "now": no more grace, a non-zero exit says the drain did not complete.
      const force = (again: NodeJS.Signals) => {
        logger.warn({ signal: again }, "second signal during shutdown: exiting at once (calls still running are not recorded as finished)");
        process.exit(EXIT_FORCED);
      };
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      logger.info({ signal, grace_sec: config.shutdown.grace_sec }, "shutting down");
      const { finished, cancelled } = await gateway.shutdown();
      logger.info({ finished, cancelled }, `shutdown complete: ${finished} call(s) finished, ${cancelled} cancelled; exiting 0`);
      return 0 as const;
    },
  };
}

/**
 * A server's line says what a client will see, not only that it connected:
 * "(connected)" with nothing pinned looked healthy and offered no tool.
 */
export function serverStatus(id: string, state: string, tools: ReturnType<ToolCatalog["summary"]> | undefined): string {
  if (!tools || state !== "connected") return state;
  const parts = [`${tools.offered} tool${tools.offered === 1 ? "" : "s"} offered`];
  if (tools.unpinned > 0) parts.push(`${tools.unpinned} not pinned: review them, then \`mcpgov registry pin ${id}\``);
  if (tools.changed > 0) parts.push(`${tools.changed} changed since pinned (hidden)`);
  if (tools.hidden > 0) parts.push(`${tools.hidden} hidden by the catalog policy`);
  return `${state}; ${parts.join(", ")}`;
}
