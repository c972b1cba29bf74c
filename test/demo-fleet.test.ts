/**
 * `npm run demo:fleet` for real: PostgreSQL, a bundle server and three
 * gateways come up on loopback, print what the README shows, serve a call
 * through one gateway and the fleet's approval queue through another, and
 * Ctrl-C (SIGINT) stops everything with exit 0. Needs `npm run build`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";
import { expectExample } from "./helpers/readme.js";

const KEYS = {
  MCPGOV_DEMO_KEY_ALICE: "fleet-alice-key-0123456789",
  MCPGOV_DEMO_KEY_BOB: "fleet-bob-key-0123456789ab",
  MCPGOV_DEMO_KEY_OPS: "fleet-ops-key-0123456789ab",
};

const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/** A first port with the next two free as well (the demo takes three in a row). */
async function threeFreePorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await free(base)) && (await free(base + 1)) && (await free(base + 2))) return base;
  }
  throw new Error("no three free ports in a row");
}

let child: ChildProcess | undefined;
let home: string | undefined;
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGINT");
    await new Promise((r) => child!.once("exit", r));
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe("npm run demo:fleet", () => {
  it("starts PostgreSQL, a bundle server and three gateways, prints the README's banner, serves, and stops on Ctrl-C", { timeout: 240_000 }, async () => {
    home = await tempDir("mcpgov-demo-fleet-");
    const base = await threeFreePorts();
    child = spawn(process.execPath, [join(repoRoot, "dist", "scripts", "demo-fleet.js")], {
      cwd: repoRoot,
      env: { ...process.env, ...KEYS, MCPGOV_FLEET_PORT: String(base), MCPGOV_FLEET_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo:fleet did not start:\n${lines.join("\n")}`)), 200_000);
      createInterface({ input: child!.stdout! }).on("line", (line) => {
        lines.push(line);
        if (line.startsWith("Ctrl-C stops")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`demo:fleet exited with ${code}:\n${lines.join("\n")}`));
      });
    });
    const banner = lines
      .filter((line) => /^(bundle server|PostgreSQL {3}|gateway [ABC] )/.test(line))
      .join("\n")
      .replace(/127\.0\.0\.1:(\d+)/g, (match, port: string) => {
        const offset = Number(port) - base;
        return offset >= 0 && offset <= 2 ? `127.0.0.1:${8801 + offset}` : match;
      });
    expectExample("demo-fleet", banner);

    const url = (gateway: number) => `http://127.0.0.1:${base + gateway}`;
    const client = new Client({ name: "demo-fleet-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url(2)}/mcp/filesystem`), { requestInit: { headers: { authorization: `Bearer ${KEYS.MCPGOV_DEMO_KEY_ALICE}` } } }));
    const listed = await client.callTool({ name: "list_allowed_directories", arguments: {} });
    expect(listed.isError).toBeFalsy();
    await client.close();
    const queue = await runCli(["approvals", "list", "--gateway", url(1)], { env: { MCPGOV_TOKEN: KEYS.MCPGOV_DEMO_KEY_BOB } });
    expect(queue.code, queue.stderr).toBe(0);

    const pids = /its pid: ([\d, ]+)\)/.exec(lines.join("\n"))![1]!.split(", ").map(Number);
    expect(pids).toHaveLength(3);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(lines.join("\n")).toContain("stopping the gateways, the bundle server and PostgreSQL");
    // Nothing is left running: kill(pid, 0) fails for a process that is gone.
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
