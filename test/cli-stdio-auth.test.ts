/**
 * @module `mcpgov stdio` needs none of the HTTP client keys: a desktop client
 * launches it without them, while `serve` on the same config still refuses
 * to start when one is missing.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";
import { memoryServer, referenceWorkspace, textOf, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

let ws: Workspace;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [memoryServer(ws)] });
});
afterAll(async () => {
  if (ws) await rm(ws.dir, { recursive: true, force: true });
});

describe("mcpgov stdio without the HTTP key variables", () => {
  it("serves governed calls with none of auth.keys' variables set", async () => {
    // getDefaultEnvironment() carries HOME, PATH and the like, and none of MCPGOV_E2E_KEY_*.
    const env = { ...getDefaultEnvironment(), MCPGOV_SUBJECT: "desktop:dana" };
    expect(Object.keys(env).filter((name) => name.startsWith("MCPGOV_E2E_KEY"))).toEqual([]);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repoRoot, "bin", "mcpgov.js"), "stdio", "--server", "memory", "--config", ws.configPath],
      env,
      cwd: ws.dir,
      stderr: "pipe",
    });
    const stderr: string[] = [];
    transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const client = new Client({ name: "desktop", version: "1.0.0" });
    try {
      await client.connect(transport);
      const read = await client.callTool({ name: "read_graph", arguments: {} });
      expect(read.isError).toBeFalsy();
      expect(JSON.parse(textOf(read))).toMatchObject({ entities: [] });
    } catch (error) {
      throw new Error(`${(error as Error).message}\nmcpgov stderr:\n${stderr.join("")}`, { cause: error });
    } finally {
      await client.close();
    }
  });

  it("the same config still needs the key variables where clients authenticate over HTTP", async () => {
    const serve = await runCli(["serve", "--config", ws.configPath, "--port", "0"], { env: {} });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain("environment variable MCPGOV_E2E_KEY_ALICE is not set");
  });
});
