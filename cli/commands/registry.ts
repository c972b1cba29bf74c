/** @module `mcpgov registry pin|check|list [SERVER] [--all] [--allow-hidden TOOL] [--config mcpgov.yaml]`. */
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import type { RegistryEntry } from "../../src/core/gateway-config.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import type { LoadedGatewayConfig } from "../../src/gateway/config.js";
import { type CatalogJudge, withoutCatalogPolicy } from "../../src/gateway/definition-guard.js";
import { type CatalogOptions, checkServers, pinServers } from "../../src/gateway/pin-servers.js";
import { readLockFile, writeLockFile } from "../../src/gateway/pins.js";
import { Registry } from "../../src/gateway/registry.js";
import type { Logger } from "../../src/logger.js";
import { formatChecks, formatPins, formatRegistry, hasDrift, type RegistryFormat } from "../../src/report/registry-report.js";
import type { CliIo, ExitCode } from "../io.js";
import { formatDefinitionVerdicts, refusalMessage } from "./registry-findings.js";

interface RegistryArgs {
  action: "pin" | "check" | "list";
  server?: string;
  all: boolean;
  config: string;
  format: RegistryFormat;
  verbose: boolean;
  allowHidden: string[];
}

export function registryCommand(io: CliIo) {
  return {
    command: "registry <action> [server]",
    describe: "pin, check or list the registered MCP servers and their tools",
    builder: (y: Argv) =>
      y
        .positional("action", {
          choices: ["pin", "check", "list"] as const,
          describe: "pin: record each tool's definition hash in the lock file; check: compare live tools with it (exit 2 on drift); list: show the registry",
        })
        .positional("server", { type: "string", describe: "registry id of the server" })
        .option("all", { type: "boolean", default: false, describe: "every registered server" })
        .option("config", { alias: "c", type: "string", default: io.env["MCPGOV_CONFIG"] ?? "mcpgov.yaml", describe: "gateway config (MCPGOV_CONFIG)" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const })
        .option("verbose", { type: "boolean", default: false, describe: "show the servers' stderr" })
        .option("allow-hidden", {
          type: "string",
          array: true,
          default: [] as string[],
          describe: "pin this tool although the catalog policy hides it (repeatable); the gateway still hides it while the policy says HIDE",
        }),
    handler: async (argv: RegistryArgs): Promise<ExitCode> => {
      // Secrets are resolved when a server is started, so `list` and pinning one server need only that server's.
      const config = await loadGatewayConfig(argv.config, { env: io.env, secrets: "skip" });
      for (const warning of config.warnings) io.err(`mcpgov: warning: ${warning}`);
      const registry = new Registry(config.servers);
      const lock = await readLockFile(config.source.lock_path);

      if (argv.action === "list") {
        io.out(formatRegistry(registry.list(), lock.servers, argv.format));
        return 0;
      }

      const entries = selectServers(registry, argv);
      const stderr = serverStderr(io, argv.verbose);
      const catalog: CatalogOptions = { judge: await catalogJudge(config, io), registry: registry.list(), allowHidden: argv.allowHidden };
      const live = { env: io.env, logger: stderr.logger, requestTimeoutMs: config.limits.upstream_timeout_sec * 1000, catalog };
      try {
        if (argv.action === "pin") {
          const pinned = await pinServers(entries, lock, live);
          if (pinned.refused.length === 0) await writeLockFile(config.source.lock_path, pinned.lock);
          io.out(withVerdicts(formatPins(pinned.results, config.source.lock_path, argv.format), pinned.results, argv.format, "pin"));
          if (pinned.refused.length > 0) {
            io.err(`mcpgov: ${refusalMessage(pinned.refused)}`);
            return 1;
          }
          return 0;
        }
        const checked = await checkServers(entries, lock, live);
        io.out(withVerdicts(formatChecks(checked, argv.format), checked, argv.format, "check"));
        // A tool the catalog policy hides is as unusable as a drifted one.
        return checked.some(hasDrift) || checked.some((c) => c.definitions.some((d) => d.decision === "HIDE")) ? 2 : 0;
      } catch (error) {
        stderr.flush();
        throw error;
      }
    },
  };
}

/** Pretty output gets a catalog section; in JSON each server's entry gets its `definitions`. */
function withVerdicts(text: string, results: Parameters<typeof formatDefinitionVerdicts>[0], format: RegistryFormat, action: "pin" | "check"): string {
  if (format === "json") {
    const doc = JSON.parse(text) as { servers: Array<{ id: string }> };
    const byId = new Map(results.map((r) => [r.id, r.definitions]));
    doc.servers = doc.servers.map((server) => ({ ...server, definitions: byId.get(server.id) ?? [] }));
    return JSON.stringify(doc, null, 2);
  }
  const verdicts = formatDefinitionVerdicts(results, action);
  return verdicts ? `${text}\n${verdicts}` : text;
}

/**
 * The catalog policy of the gateway's bundle. Without a loadable bundle
 * (not built yet), tools with findings count as hidden, as they would
 * under a bundle that has no catalog policy.
 */
async function catalogJudge(config: LoadedGatewayConfig, io: CliIo): Promise<CatalogJudge> {
  const path = resolve(config.source.dir, config.bundle);
  try {
    const { WasmPolicyEngine } = await import("../../src/engine/wasm-engine.js");
    return await WasmPolicyEngine.fromFile(path);
  } catch (error) {
    io.err(`mcpgov: warning: cannot load the bundle ${path} (${error instanceof Error ? error.message : String(error)}); without a catalog policy, tools with findings count as hidden`);
    return withoutCatalogPolicy();
  }
}

function selectServers(registry: Registry, argv: RegistryArgs): RegistryEntry[] {
  if (argv.all && argv.server) throw new McpgovError("usage", "name a server or use --all, not both");
  if (argv.all) return registry.list();
  if (!argv.server) throw new McpgovError("usage", `name the server to ${argv.action}, or use --all`);
  return [registry.require(argv.server)];
}

/**
 * The servers' stderr: shown as it comes with --verbose; otherwise kept
 * (the last lines) and shown only when something fails, since that is
 * usually where the reason is.
 */
function serverStderr(io: CliIo, verbose: boolean): { logger: Logger; flush: () => void } {
  const tail: string[] = [];
  const keep = (fields: Record<string, unknown>) => {
    if (typeof fields.stderr !== "string") return;
    const line = `[${String(fields.upstream)}] ${fields.stderr}`;
    if (verbose) io.err(line);
    else if (tail.push(line) > 20) tail.shift();
  };
  const logger: Logger = { debug: () => undefined, info: keep, warn: keep, error: keep };
  return {
    logger,
    flush: () => {
      if (tail.length > 0) io.err(`server stderr (last lines):\n${tail.join("\n")}`);
    },
  };
}
