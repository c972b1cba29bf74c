/**
 * @module `mcpgov dryrun`: proves the approval path end to end against a
 * running gateway (`--gateway`), or one it starts in-process (`--config`).
 * Three identities take part, each token read from an environment variable:
 * the requester, a second identity who approves, and an admin who may swap
 * the bundle (the dryrun puts the original back).
 */
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { parseSigningAlgorithm, readSigningKey } from "../../src/bundle/signing.js";
import { runDryrun, type Check } from "../../src/dryrun/dryrun.js";
import { McpgovError } from "../../src/core/errors.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { startGateway, type RunningGateway } from "../../src/gateway/gateway.js";
import type { CliIo, ExitCode } from "../io.js";

interface DryrunArgs {
  gateway?: string;
  config?: string;
  bundle?: string;
  server: string;
  tool: string;
  arguments?: string;
  requesterTokenEnv: string;
  approverTokenEnv: string;
  adminTokenEnv: string;
  timeout: number;
  signingKey?: string;
  signingAlg: string;
  keyId: string;
}

function token(io: CliIo, name: string, who: string): string {
  const value = io.env[name];
  if (!value) throw new McpgovError("usage", `set ${name} to the ${who}'s token (or name another variable with --${who}-token-env)`);
  return value;
}

function parseArguments(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new McpgovError("usage", "--arguments: expected a JSON object");
}

export const formatCheck = (check: Check): string => `${check.ok ? "PASS" : "FAIL"}  ${check.name}: ${check.detail}`;

export function dryrunCommand(io: CliIo) {
  return {
    command: "dryrun",
    describe: "force a production write through REQUIRE_APPROVAL and check binding, routing, exactly-once, replay, tampering, bundle swap and audit",
    builder: (y: Argv) =>
      y
        .option("gateway", { type: "string", describe: "base URL of a running gateway" })
        .option("config", { alias: "c", type: "string", describe: "start a gateway in-process from this config instead" })
        .option("bundle", { type: "string", describe: "the active bundle's file (default with --config: the config's bundle)" })
        .option("server", { type: "string", default: "filesystem", describe: "a server tagged prod" })
        .option("tool", { type: "string", default: "write_file", describe: "a write tool on it" })
        .option("arguments", { type: "string", describe: "the write's arguments as JSON (default for write_file: a new file in the first allowed directory)" })
        .option("requester-token-env", { type: "string", default: "MCPGOV_DRYRUN_REQUESTER_TOKEN" })
        .option("approver-token-env", { type: "string", default: "MCPGOV_DRYRUN_APPROVER_TOKEN" })
        .option("admin-token-env", { type: "string", default: "MCPGOV_DRYRUN_ADMIN_TOKEN" })
        .option("timeout", { type: "number", default: 30, describe: "seconds to wait for each step" })
        .option("signing-key", { type: "string", describe: "sign the re-stamped bundle with this key, for a gateway with bundle_signing keys" })
        .option("signing-alg", { type: "string", default: "RS256" })
        .option("key-id", { type: "string", default: "default" })
        .example("$0 dryrun --gateway http://127.0.0.1:8787 --bundle bundles/reference.tar.gz", "against the demo gateway"),
    handler: async (argv: DryrunArgs): Promise<ExitCode> => {
      if (!argv.gateway === !argv.config) throw new McpgovError("usage", "give exactly one of --gateway URL and --config FILE");
      const tokens = {
        requester: token(io, argv.requesterTokenEnv, "requester"),
        approver: token(io, argv.approverTokenEnv, "approver"),
        admin: token(io, argv.adminTokenEnv, "admin"),
      };
      const args = parseArguments(argv.arguments);
      let gateway: RunningGateway | undefined;
      let url = argv.gateway;
      let bundlePath = argv.bundle;
      if (argv.config) {
        const config = await loadGatewayConfig(argv.config, { env: io.env, overrides: { listen: { port: 0 } } });
        gateway = await startGateway(config, { env: io.env });
        url = gateway.url!;
        bundlePath ??= resolve(config.source.dir, config.bundle);
      }
      const signer = argv.signingKey === undefined ? undefined : await readSigningKey(argv.signingKey, parseSigningAlgorithm(argv.signingAlg), argv.keyId);
      if (!bundlePath) throw new McpgovError("usage", "--bundle: give the active bundle's file (the dryrun swaps to a re-stamped copy and back)");
      try {
        const checks = await runDryrun(
          {
            gateway: url!,
            server: argv.server,
            tool: argv.tool,
            ...(args ? { arguments: args } : {}),
            bundlePath,
            tokens,
            timeoutMs: argv.timeout * 1000,
            ...(signer ? { signer } : {}),
          },
          (check) => io.out(formatCheck(check)),
        );
        const failed = checks.filter((c) => !c.ok).length;
        io.out(`dryrun: ${checks.length - failed} passed, ${failed} failed`);
        return failed === 0 ? 0 : 2;
      } finally {
        await gateway?.close();
      }
    },
  };
}
