/**
 * @module `mcpgov demo`: the README's first command. Builds the reference
 * policy, shows its decisions on the seed's example calls, then starts the
 * gateway on the demo registry of real MCP servers from npm.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Argv } from "yargs";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { pinServers } from "../../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../../src/gateway/pins.js";
import { readJsonFile } from "../../src/json-input.js";
import { formatConstraints } from "../../src/report/decision-report.js";
import { buildBundle } from "../../src/toolchain/build.js";
import type { CliIo } from "../io.js";
import { serveCommand } from "./serve.js";

interface DemoArgs {
  policy: string;
  examples: string;
  output: string;
  config: string;
  serve: boolean;
}

async function showDecisions(io: CliIo, argv: DemoArgs): Promise<void> {
  const built = await buildBundle({ policyDir: argv.policy, output: argv.output, revision: "reference" });
  io.out(`built ${built.output}\n  ${built.hash}\n`);
  const engine = await WasmPolicyEngine.fromFile(built.output);
  const files = (await readdir(argv.examples)).filter((f) => f.endsWith(".json")).sort();
  for (const file of files) {
    const envelope = (await readJsonFile(join(argv.examples, file))) as { call?: { server?: string; tool?: string }; labels?: Record<string, string> };
    const decision = engine.decide(envelope);
    io.out(
      `${basename(file, ".json")}\n` +
        `  call      ${envelope.call?.server}/${envelope.call?.tool} (${envelope.labels?.["mcp.action"]})\n` +
        `  decision  ${decision.decision}  [${decision.rules.join(", ")}]\n` +
        `  reason    ${decision.reason}\n` +
        `  limits    ${formatConstraints(decision.constraints)}\n`,
    );
  }
}

/** Everything the demo registry needs on a fresh machine: sandbox, dev keys, pins. */
async function prepareDemo(io: CliIo, configPath: string): Promise<void> {
  const config = await loadGatewayConfig(configPath, { env: io.env, secrets: "skip" });
  const sandbox = resolve(config.data_dir, "sandbox");
  await mkdir(sandbox, { recursive: true });
  const readme = join(sandbox, "README.txt");
  if (!existsSync(readme)) await writeFile(readme, "Files the demo gateway's filesystem server may read. Writes here are production writes.\n");
  const keys = [
    ["MCPGOV_DEMO_KEY_ALICE", "alice, a developer"],
    ["MCPGOV_DEMO_KEY_BOB", "bob, an approver"],
    ["MCPGOV_DEMO_KEY_OPS", "ops, the gateway admin"],
  ] as const;
  for (const [name, who] of keys) {
    if (!io.env[name]) {
      io.env[name] = randomBytes(18).toString("base64url");
      io.out(`${name}=${io.env[name]}   (generated dev key for ${who}; export it to reuse)`);
    }
  }
  io.out(
    "approve held calls: MCPGOV_TOKEN=$MCPGOV_DEMO_KEY_BOB node bin/mcpgov.js approvals list --state pending\n" +
      "prove the approval path: MCPGOV_DRYRUN_REQUESTER_TOKEN=$MCPGOV_DEMO_KEY_ALICE MCPGOV_DRYRUN_APPROVER_TOKEN=$MCPGOV_DEMO_KEY_BOB " +
      "MCPGOV_DRYRUN_ADMIN_TOKEN=$MCPGOV_DEMO_KEY_OPS node bin/mcpgov.js dryrun --gateway http://127.0.0.1:8787 --bundle bundles/reference.tar.gz",
  );
  if (!existsSync(config.source.lock_path)) {
    io.out(`pinning the demo servers' tools into ${config.source.lock_path} …`);
    const { lock } = await pinServers(config.servers, emptyLock(), { env: io.env });
    await writeLockFile(config.source.lock_path, lock);
  }
}

export function demoCommand(io: CliIo) {
  return {
    command: "demo",
    describe: "build the reference policy, decide the seed's example calls, and start the demo gateway",
    builder: (y: Argv) =>
      y
        .option("policy", { type: "string", default: "policy/reference" })
        .option("examples", { type: "string", default: "policy/reference/examples" })
        .option("output", { alias: "o", type: "string", default: "bundles/reference.tar.gz" })
        .option("config", { alias: "c", type: "string", default: "config/demo.mcpgov.yaml" })
        .option("serve", { type: "boolean", default: true, describe: "start the gateway after showing the decisions (--no-serve to stop)" }),
    handler: async (argv: DemoArgs) => {
      await showDecisions(io, argv);
      if (!argv.serve) return 0 as const;
      await prepareDemo(io, argv.config);
      return serveCommand(io).handler({ config: argv.config, logLevel: "warn" });
    },
  };
}
