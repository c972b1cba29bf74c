/**
 * Approvals outlive the gateway: requests pending and approved when a real
 * `mcpgov serve` is killed with SIGKILL are there after a restart, and an
 * approval granted on the store while no gateway runs is honoured by the
 * next one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";
import { decisionOf, disposeGateway, filesystemServer, KEYS, referenceWorkspace, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";
import { connect, exited, serve, stopServe } from "./helpers/serve-process.js";

let ws: Workspace | undefined;
afterAll(() => disposeGateway(undefined, ws));

describe("approvals across a SIGKILL and a restart", () => {
  it("keeps pending and approved requests, and honours an approval granted while the gateway was down", { timeout: 120_000 }, async () => {
    expect(existsSync(join(repoRoot, "dist", "cli", "main.js")), "needs `npm run build`").toBe(true);
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [filesystemServer(ws)] });
    const write = (client: Client, name: string) => client.callTool({ name: "write_file", arguments: { path: join(ws!.sandbox, name), content: `${name}\n` } });

    const first = await serve(ws);
    let pendingId: string;
    let approvedId: string;
    try {
      const alice = await connect(first.url, "filesystem");
      pendingId = decisionOf(await write(alice, "a.txt")).approval_id!;
      approvedId = decisionOf(await write(alice, "b.txt")).approval_id!;
      const response = await fetch(`${first.url}/admin/approvals/${approvedId}/approve`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.bob}`, "content-type": "application/json" },
        body: JSON.stringify({ reason: "before the crash" }),
      });
      expect(response.status).toBe(200);
      first.child.kill("SIGKILL");
      await exited(first.child);
      expect(first.child.signalCode).toBe("SIGKILL");
    } finally {
      await stopServe(first.child);
    }

    // No gateway runs: an operator approves on the store itself.
    const listed = await runCli(["approvals", "list", "--data-dir", ws.dataDir, "--format", "json"]);
    const states = Object.fromEntries((JSON.parse(listed.stdout) as { approvals: Array<{ id: string; state: string }> }).approvals.map((r) => [r.id, r.state]));
    expect(states).toEqual({ [pendingId]: "pending", [approvedId]: "approved" });
    const selfApproval = await runCli(["approvals", "approve", pendingId, "--data-dir", ws.dataDir, "--approver", "alice", "--reason", "mine"]);
    expect(selfApproval.code).toBe(1);
    expect(selfApproval.stderr).toContain("requester cannot decide their own request");
    const offline = await runCli(["approvals", "approve", pendingId, "--data-dir", ws.dataDir, "--approver", "bob", "--reason", "approved during the outage"]);
    expect(offline.stderr).toBe("");
    expect(offline.stdout).toContain("approved by bob (local-store)");
    expect(existsSync(join(ws.sandbox, "a.txt"))).toBe(false);

    const second = await serve(ws);
    try {
      const alice = await connect(second.url, "filesystem");
      expect((await write(alice, "a.txt")).isError).toBeFalsy();
      expect((await write(alice, "b.txt")).isError).toBeFalsy();
      expect(readFileSync(join(ws.sandbox, "a.txt"), "utf8")).toBe("a.txt\n");
      expect(readFileSync(join(ws.sandbox, "b.txt"), "utf8")).toBe("b.txt\n");
      await alice.close();
    } finally {
      await stopServe(second.child, "SIGTERM");
    }

    const verify = await runCli(["audit", "verify", "--data-dir", ws.dataDir]);
    expect(verify.code).toBe(0);
    const firstCall = (await runCli(["approvals", "show", pendingId, "--data-dir", ws.dataDir, "--format", "json"])).stdout;
    const callId = (JSON.parse(firstCall) as { approval: { call_id: string; state: string } }).approval;
    expect(callId.state).toBe("used");
    const why = await runCli(["audit", "why", callId.call_id, "--data-dir", ws.dataDir]);
    expect(why.stdout).toContain("approver     bob (local-store): approved during the outage");
    expect(why.stdout).toMatch(/outcome\s+executed/);
  });
});
