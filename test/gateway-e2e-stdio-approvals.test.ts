/**
 * End to end: approvals under `mcpgov stdio`, which has no admin API. A held
 * call waits while reading the store, and an approver decides on the store
 * with `mcpgov approvals … --data-dir`; the call then runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";
import { KEY_ENV, memoryServer, referenceWorkspace, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

let ws: Workspace | undefined;
afterAll(async () => {
  if (ws) await rm(ws.dir, { recursive: true, force: true });
});

async function pendingOnStore(dataDir: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const listed = await runCli(["approvals", "list", "--data-dir", dataDir, "--state", "pending", "--format", "json"]);
    const [first] = listed.code === 0 ? (JSON.parse(listed.stdout) as { approvals: Array<{ id: string }> }).approvals : [];
    if (first) return first.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no pending approval request on the store");
}

describe("mcpgov stdio with approvals", () => {
  it("runs a held production write once an approver decides on the store", { timeout: 60_000 }, async () => {
    expect(existsSync(join(repoRoot, "dist", "cli", "main.js")), "needs `npm run build`").toBe(true);
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [memoryServer(ws, ["prod"])], approvals: { wait_sec: 30 } });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repoRoot, "bin", "mcpgov.js"), "stdio", "--server", "memory", "--config", ws.configPath],
      env: { ...getDefaultEnvironment(), ...KEY_ENV, MCPGOV_SUBJECT: "desktop:alice" },
      cwd: ws.dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "desktop", version: "1.0.0" });
    await client.connect(transport);
    try {
      const call = client.callTool({ name: "create_entities", arguments: { entities: [{ name: "approved-change", entityType: "change", observations: [] }] } });
      const id = await pendingOnStore(ws.dataDir);
      const approved = await runCli(["approvals", "approve", id, "--data-dir", ws.dataDir, "--approver", "bob", "--reason", "desktop change"]);
      expect(approved.stderr).toBe("");
      const result = await call;
      expect(result.isError).toBeFalsy();
      expect(readFileSync(ws.memoryFile, "utf8")).toContain("approved-change");
    } finally {
      await client.close();
    }
  });
});
