/**
 * End to end: the lean tools/call path (a plain JSON answer on an
 * established session) and the SDK path (SSE, taken when the client asked
 * for progress or declared sampling) govern a call identically: same
 * result, same audit record, same JSON-RPC error; progress still arrives;
 * a cancelled lean call is cancelled at the server.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord, CallRecord } from "../src/core/audit-record.js";
import {
  disposeGateway,
  everythingServer,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  rugEvents,
  rugServer,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

const EMAIL = "dana.okafor@example.org";

let ws: Workspace;
let gw: TestGateway;
const opened: Client[] = [];

interface Observed {
  client: Client;
  /** Content-Type of each answer to a tools/call POST, in order. */
  callAnswers: string[];
}

/** A client whose fetch notes how tools/call POSTs were answered; `sampling` makes the gateway use the SDK path. */
async function observedClient(serverId: string, sampling: boolean): Promise<Observed> {
  const callAnswers: string[] = [];
  const client = new Client({ name: sampling ? "sdk-path" : "lean-path", version: "1" }, sampling ? { capabilities: { sampling: {} } } : {});
  const observe: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (init?.method === "POST" && typeof init.body === "string" && init.body.includes('"tools/call"')) {
      callAnswers.push(response.headers.get("content-type") ?? "");
    }
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/${serverId}`), {
    requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}` } },
    fetch: observe,
  });
  await client.connect(transport);
  opened.push(client);
  return { client, callAnswers };
}

/** What may differ between two calls: their ids, times and latencies. */
function stable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<time>"),
  );
}

function stableRecord(record: AuditRecord): unknown {
  const { seq: _seq, prev_hash: _prev, hash: _hash, decision_latency_us: _d, upstream_latency_ms: _u, request_id: _r, envelope_digest: _e, intent_seq: _i, ...rest } =
    record as AuditRecord & Record<string, unknown>;
  const envelope = { ...(rest["envelope"] as Record<string, unknown>) };
  delete envelope["request_id"];
  return stable({ ...rest, envelope });
}

async function lastRecord(tool: string): Promise<CallRecord> {
  const records = await gw.calls({ tool });
  return records[records.length - 1]!;
}

/** Calls the same tool on both paths; returns both outcomes and audit records, and checks which path answered. */
async function bothPaths(serverId: string, name: string, args: Record<string, unknown>) {
  const lean = await observedClient(serverId, false);
  const sdk = await observedClient(serverId, true);
  const outcome = (client: Client) =>
    client.callTool({ name, arguments: args }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error instanceof McpError ? { code: error.code, message: error.message, data: error.data } : String(error) }),
    );
  const viaLean = await outcome(lean.client);
  const leanRecord = await lastRecord(name);
  const viaSdk = await outcome(sdk.client);
  const sdkRecord = await lastRecord(name);
  expect(lean.callAnswers).toEqual(["application/json"]);
  expect(sdk.callAnswers).toEqual(["text/event-stream"]);
  expect(leanRecord.call_id).not.toBe(sdkRecord.call_id);
  return { viaLean, viaSdk, leanRecord, sdkRecord };
}

beforeAll(async () => {
  ws = await referenceWorkspace();
  const rug = rugServer(ws);
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws), everythingServer(), { ...rug, tools: { ...(rug["tools"] as Record<string, string>), fail: "read" } }],
  });
  gw = await startTestGateway(ws);
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  await disposeGateway(gw, ws);
});

describe("lean and SDK paths govern a call identically", () => {
  it("allow: the same content and the same record", async () => {
    writeFileSync(join(ws.sandbox, "plain.txt"), "release checklist: tag v1.4.2\n");
    const { viaLean, viaSdk, leanRecord, sdkRecord } = await bothPaths("filesystem", "read_text_file", { path: join(ws.sandbox, "plain.txt") });
    expect(viaLean).toEqual({ result: { content: [{ type: "text", text: "release checklist: tag v1.4.2\n" }], structuredContent: { content: "release checklist: tag v1.4.2\n" } } });
    expect(stable(viaSdk)).toEqual(stable(viaLean));
    expect(leanRecord).toMatchObject({ outcome: "executed", extra: { output_verdict: "PASS" } });
    expect(stableRecord(sdkRecord)).toEqual(stableRecord(leanRecord));
  });

  it("deny and hold: the same refusal and the same record", async () => {
    const denied = await bothPaths("filesystem", "not_a_tool", {});
    expect(denied.leanRecord).toMatchObject({ decision: "DENY", outcome: "blocked" });
    expect(stable(denied.viaSdk)).toEqual(stable(denied.viaLean));
    expect(stableRecord(denied.sdkRecord)).toEqual(stableRecord(denied.leanRecord));

    const held = await bothPaths("filesystem", "write_file", { path: join(ws.sandbox, "out.txt"), content: "x\n" });
    expect(held.leanRecord).toMatchObject({ decision: "REQUIRE_APPROVAL", outcome: "pending" });
    expect((held.viaLean as { result: { isError: boolean } }).result.isError).toBe(true);
    expect(stable(held.viaSdk)).toEqual(stable(held.viaLean));
    expect(stableRecord(held.sdkRecord)).toEqual(stableRecord(held.leanRecord));
  });

  it("output redaction: the same redacted content and the same findings", async () => {
    writeFileSync(join(ws.sandbox, "contacts.txt"), `owner: ${EMAIL}\n`);
    const { viaLean, viaSdk, leanRecord, sdkRecord } = await bothPaths("filesystem", "read_text_file", { path: join(ws.sandbox, "contacts.txt") });
    expect(JSON.stringify(viaLean)).toContain("[REDACTED:email]");
    expect(JSON.stringify(viaLean)).not.toContain(EMAIL);
    expect(stable(viaSdk)).toEqual(stable(viaLean));
    expect(leanRecord).toMatchObject({ extra: { output_verdict: "REDACT", findings: { email: 2 } } });
    expect(stableRecord(sdkRecord)).toEqual(stableRecord(leanRecord));
  });

  it("upstream JSON-RPC error: the client gets the server's error as sent on both paths", async () => {
    const { viaLean, viaSdk, leanRecord, sdkRecord } = await bothPaths("rug", "fail", {});
    // Each SDK hop prefixes "MCP error -32042:" to the message; the lean path keeps that as it was.
    expect(viaLean).toEqual({ error: { code: -32042, message: expect.stringMatching(/the fixture refuses this call$/), data: { reason: "fixture" } } });
    expect(viaSdk).toEqual(viaLean);
    expect(leanRecord).toMatchObject({ outcome: "failed", error: "upstream error -32042" });
    expect(stableRecord(sdkRecord)).toEqual(stableRecord(leanRecord));
  });
});

describe("calls the lean path leaves to the SDK", () => {
  it("a call that asks for progress gets its progress over SSE", async () => {
    const { client, callAnswers } = await observedClient("everything", false);
    const progress: Progress[] = [];
    const result = await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 0.4, steps: 4 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(result.isError).toBeFalsy();
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(callAnswers).toEqual(["text/event-stream"]);
  });
});

describe("cancellation on the lean path", () => {
  it("the client's notifications/cancelled reaches the server and the record says cancelled", async () => {
    const { client, callAnswers } = await observedClient("rug", false);
    const controller = new AbortController();
    const call = client.callTool({ name: "slow", arguments: { seconds: 20 } }, undefined, { signal: controller.signal });
    await expect.poll(() => rugEvents(ws).some((e) => e.event === "call" && e.tool === "slow"), { timeout: 10_000 }).toBe(true);
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    await expect.poll(() => rugEvents(ws).some((e) => e.event === "slow-cancelled"), { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await lastRecord("slow"))?.outcome, { timeout: 10_000 }).toBe("failed");
    expect((await lastRecord("slow")).error).toBe("cancelled by the client");
    // The HTTP exchange of the cancelled call still ended (no JSON-RPC response in it).
    await expect.poll(() => callAnswers.length, { timeout: 10_000 }).toBe(1);
  });
});
