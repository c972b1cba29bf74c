/**
 * End to end: calls that wait for their approval (approvals.wait_sec > 0),
 * with a policy that routes production writes to the "security" group, a
 * webhook announcing each request, and approvers using `mcpgov approvals`.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approverApi, pendingFor } from "./helpers/approvals.js";
import { runCli } from "./helpers/cli.js";
import {
  disposeGateway,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;
let alice: Client;
let hook: Server;
const announced: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      announced.push({ ...(JSON.parse(body) as Record<string, unknown>), _auth: req.headers["x-hook-token"] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  ws = await referenceWorkspace({ productionWrite: { approver_group: "security" } });
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    env: { HOOK_TOKEN: "hook-secret-value" },
    approvals: {
      wait_sec: 30,
      progress_interval_sec: 0.2,
      groups: { default: { roles: ["approver"] }, security: { roles: ["security-approver"] } },
      webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, headers: { "x-hook-token": { from_env: "HOOK_TOKEN" } } },
      console_url: "http://127.0.0.1:8787",
    },
  });
  gw = await startTestGateway(ws, { env: { HOOK_TOKEN: "hook-secret-value" } });
  alice = await gw.connect("filesystem");
});

afterAll(async () => {
  await disposeGateway(gw, ws);
  await new Promise<void>((r) => hook.close(() => r()));
});

const cli = (args: string[], key: string) => runCli(["approvals", ...args, "--gateway", gw.url], { env: { MCPGOV_TOKEN: key } });

describe("a call that waits for its approval", () => {
  it("reports progress while it waits, is routed to the policy's group, and runs as soon as that group approves", async () => {
    const progress: Array<{ progress: number; message?: string }> = [];
    const target = join(ws.sandbox, "motd.txt");
    const call = alice.callTool({ name: "write_file", arguments: { path: target, content: "maintenance at 22:00\n" } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p),
      resetTimeoutOnProgress: true,
    });
    const request = await pendingFor(approverApi(gw, KEYS.carol), "write_file");
    expect(request.group).toBe("security");
    // Routed: the default group's approver cannot decide it.
    expect((await approverApi(gw, KEYS.bob).approve(request.id, "looks fine")).status).toBe(403);
    await new Promise((r) => setTimeout(r, 600)); // let a few progress ticks through

    const listed = await cli(["list", "--state", "pending"], KEYS.carol);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(request.id);
    expect(listed.stdout).toMatch(/security\s+filesystem\/write_file\s+alice/);
    const approved = await cli(["approve", request.id, "--reason", "CHG-1234"], KEYS.carol);
    expect(approved.stderr).toBe("");
    expect(approved.stdout).toContain("decided      approved by carol (admin-api)");

    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(readFileSync(target, "utf8")).toBe("maintenance at 22:00\n");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]!.message).toContain(`waiting for approval ${request.id} (group security)`);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);

    const hookMessage = announced.find((m) => m["approval_id"] === request.id);
    expect(hookMessage).toMatchObject({ type: "mcpgov.approval.requested", group: "security", server: "filesystem", tool: "write_file", requester: "alice", _auth: "hook-secret-value" });
    expect(hookMessage!["console_url"]).toBe(`http://127.0.0.1:8787/console/approvals/${request.id}`);
    expect(JSON.stringify(hookMessage)).not.toContain("maintenance at 22:00"); // no arguments in the announcement
  });

  it("returns the denial, with the approver and reason, as soon as it is denied", async () => {
    const target = join(ws.sandbox, "denied.txt");
    const call = alice.callTool({ name: "write_file", arguments: { path: target, content: "nope\n" } });
    const request = await pendingFor(approverApi(gw, KEYS.carol), "write_file");
    const missingReason = await cli(["deny", request.id], KEYS.carol);
    expect(missingReason.code).toBe(1);
    expect(missingReason.stderr).toContain("approvals deny needs --reason");
    const denied = await cli(["deny", request.id, "--reason", "freeze until Monday"], KEYS.carol);
    expect(denied.code).toBe(0);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`approval ${request.id} was denied by carol: freeze until Monday`);
    expect(existsSync(target)).toBe(false);
  });

  it("gives up waiting when the client cancels, and the request stays pending for a later retry", async () => {
    const controller = new AbortController();
    const call = alice.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "later.txt"), content: "later\n" } }, CallToolResultSchema, {
      signal: controller.signal,
    });
    const request = await pendingFor(approverApi(gw, KEYS.carol), "write_file");
    controller.abort();
    await expect(call).rejects.toThrow();
    const shown = await cli(["show", request.id, "--format", "json"], KEYS.carol);
    expect((JSON.parse(shown.stdout) as { approval: { state: string; arguments: unknown } }).approval).toMatchObject({ state: "pending", arguments: { content: "later\n" } });
  });

  it("names the problem when the CLI has no token or a wrong one", async () => {
    const none = await runCli(["approvals", "list", "--gateway", gw.url], { env: {} });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no token: set MCPGOV_TOKEN to an approver");
    const wrong = await cli(["list"], "not-a-real-key-at-all-000");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("401");
    expect(wrong.stderr).not.toContain("not-a-real-key");
  });
});
