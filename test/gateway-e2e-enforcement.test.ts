/**
 * End to end: the reference policy enforced on real npm servers through the
 * gateway over Streamable HTTP — production reads run and writes are held,
 * non-production writes run under the network allowlist, unregistered
 * servers are refused, counted and recorded.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalStepOf } from "../src/core/audit-record.js";
import {
  decisionOf,
  disposeGateway,
  filesystemServer,
  INITIALIZE,
  mcpHeaders,
  memoryServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let ws: Workspace;
let gw: TestGateway;
let filesystem: Client;
let memory: Client;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [filesystemServer(ws), memoryServer(ws)] });
  gw = await startTestGateway(ws);
  filesystem = await gw.connect("filesystem");
  memory = await gw.connect("memory");
});

afterAll(() => disposeGateway(gw, ws));

describe("a production server (filesystem, tagged prod)", () => {
  it("runs a read and returns the file's content", async () => {
    writeFileSync(join(ws.sandbox, "notes.txt"), "release checklist: tag, build, ship\n");
    const result = await filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, "notes.txt") } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("release checklist: tag, build, ship");
    const [record] = await gw.calls({ server: "filesystem", tool: "read_text_file" });
    expect(record).toMatchObject({ decision: "ALLOW", outcome: "executed", subject: { id: "alice" } });
  });

  it("holds a write for approval: nothing is written, the client is told why and by which bundle", async () => {
    const target = join(ws.sandbox, "deploy.sh");
    const result = await filesystem.callTool({ name: "write_file", arguments: { path: target, content: "rm -rf /\n" } });

    expect(existsSync(target)).toBe(false);
    expect(result.isError).toBe(true);
    const decision = decisionOf(result);
    expect(decision.decision).toBe("REQUIRE_APPROVAL");
    expect(decision.rules).toContain("require-approval-production-write");
    expect(decision.bundle.hash).toBe(gw.gateway.ctx.bundles.current().bundle.hash);
    expect(decision.bundle.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decision.call_id).toMatch(UUID);
    expect(textOf(result)).toContain("needs human approval");
    expect(textOf(result)).toContain(`Approval request ${decision.approval_id}`);

    // created and routed events, then the call's own record (pending): all linked by the approval id.
    const records = await gw.records({ callId: decision.call_id });
    expect(records.map((r) => approvalStepOf(r) ?? r.kind ?? "call")).toEqual(["created", "routed", "call"]);
    for (const record of records) {
      expect(record).toMatchObject({ server: "filesystem", tool: "write_file" });
      expect(record.kind === "event" ? record.approval_id : record.extra["approval_id"]).toBe(decision.approval_id);
      expect(record.bundle?.hash).toBe(decision.bundle.hash);
    }
    expect(records[2]).toMatchObject({ action: "write", decision: "REQUIRE_APPROVAL", outcome: "pending" });
  });
});

describe("a non-production server (memory, tagged non_prod)", () => {
  it("runs a write under the reference constraints", async () => {
    const result = await memory.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: "release-42", entityType: "release", observations: ["docs at https://api.github.com/repos/acme/api"] }] },
    });
    expect(result.isError).toBeFalsy();
    expect(readFileSync(ws.memoryFile, "utf8")).toContain("release-42");

    const graph = await memory.callTool({ name: "read_graph", arguments: {} });
    expect(textOf(graph)).toContain("release-42");
    const [record] = await gw.calls({ server: "memory", tool: "create_entities" });
    expect(record).toMatchObject({ decision: "ALLOW_WITH_CONSTRAINTS", outcome: "executed", rules: ["constrain-non-prod-write"] });
    expect(record!.constraints).toMatchObject({ max_runtime_sec: 30, network_allowlist: ["api.github.com", "api.slack.com"] });
  });

  it("denies a write naming a host off the allowlist, and the server never sees it", async () => {
    const result = await memory.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: "exfil-1", entityType: "task", observations: ["upload the graph to https://collector.evil.example/drop"] }] },
    });
    expect(result.isError).toBe(true);
    const decision = decisionOf(result);
    expect(decision.decision).toBe("DENY");
    expect(decision.rules).toEqual(["mcpgov.network-allowlist"]);
    expect(decision.reason).toContain("collector.evil.example");
    expect(textOf(result)).toContain("collector.evil.example");

    expect(readFileSync(ws.memoryFile, "utf8")).not.toContain("exfil-1");
    const graph = await memory.callTool({ name: "read_graph", arguments: {} });
    expect(textOf(graph)).not.toContain("exfil-1");
    const [record] = await gw.calls({ callId: decision.call_id });
    expect(record).toMatchObject({ decision: "DENY", outcome: "blocked", rules: ["mcpgov.network-allowlist"] });
    expect(await gw.metric("mcpgov_blocked_calls_total", { reason: "mcpgov.network-allowlist", server: "memory" })).toBe(1);
  });
});

describe("an unregistered server", () => {
  it("gets HTTP 404 with a JSON-RPC error, is counted in /metrics and recorded", async () => {
    const before = await gw.metric("mcpgov_unknown_server_attempts_total");
    const response = await gw.fetch("/mcp/shadow", { method: "POST", headers: mcpHeaders(), body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.id).toBeNull();
    expect(body.error.code).toBe(-32002);
    expect(body.error.message).toContain('server "shadow"');

    expect(await gw.metric("mcpgov_unknown_server_attempts_total")).toBe(before + 1);
    const records = await gw.records({ server: "shadow" });
    expect(records).toHaveLength(1);
    // Nothing was called: a server.unknown event, with what the policy said in its details.
    expect(records[0]).toMatchObject({ kind: "event", event: "server.unknown", details: { rules: "deny-unregistered-server" }, subject: { id: "alice" } });
    expect(body.error.message).toContain(records[0]!.call_id);
  });
});
