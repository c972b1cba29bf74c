/**
 * End to end: OpenTelemetry traces of mediated requests, received by a
 * loopback OTLP/HTTP receiver and decoded from the exporter's JSON. Real
 * servers: server-memory and server-filesystem over stdio, the rug-pull
 * server over Streamable HTTP (it records the headers it was sent).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/hash-chain.js";
import type { CallRecord } from "../src/core/audit-record.js";
import { runCli } from "./helpers/cli.js";
import {
  decisionOf,
  disposeGateway,
  filesystemServer,
  KEYS,
  memoryServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { type OtlpReceiver, type ReceivedSpan, SPAN_KIND, startOtlpReceiver, STATUS_ERROR } from "./helpers/otlp-receiver.js";
import { memoryLogger, rugPullHttp } from "./helpers/rug-pull.js";

const ARGUMENT_SECRET = "s3cret-argument-never-in-a-span";
const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

let ws: Workspace;
let gw: TestGateway;
let receiver: OtlpReceiver;
let remote: Awaited<ReturnType<typeof rugPullHttp>>;
const logger = memoryLogger();

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  remote = await rugPullHttp();
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [
      memoryServer(ws),
      filesystemServer(ws),
      { id: "remote", environment: "staging", transport: { type: "streamable_http", url: remote.url }, tools: { echo: "read" } },
    ],
    approvals: { wait_sec: 0, groups: { default: { roles: ["approver"] } } },
    extra: { tracing: { endpoint: receiver.url, service_name: "mcpgov-e2e" } },
  });
  gw = await startTestGateway(ws, { logger });
});

afterAll(async () => {
  await disposeGateway(gw, ws);
  await remote?.close();
  await receiver?.close();
});

/** A client on /mcp/{server}; `capabilities` with sampling sends its calls down the SDK path instead of the lean one. */
async function client(serverId: string, options: { headers?: Record<string, string>; capabilities?: Record<string, unknown> } = {}): Promise<Client> {
  const c = new Client({ name: "tracing-e2e", version: "1" }, { capabilities: options.capabilities ?? {} });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/${serverId}`), {
      requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}`, ...options.headers } },
    }),
  );
  return c;
}

async function callRecord(callId: string): Promise<CallRecord> {
  const [record] = await gw.calls({ callId });
  if (!record) throw new Error(`no call record for ${callId}`);
  return record;
}

/** The call id of the newest call record for a tool (results of allowed calls carry no _meta decision). */
async function lastCall(tool: string): Promise<CallRecord> {
  const calls = (await gw.calls()).filter((r) => r.tool === tool);
  return calls.at(-1)!;
}

/** The request's server span and its children, once exported. */
async function traceOf(record: CallRecord): Promise<{ root: ReceivedSpan; children: ReceivedSpan[] }> {
  await gw.gateway.ctx.tracing!.flush();
  const traceId = record.extra.trace_id;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const spans = receiver.spans.filter((s) => s.traceId === traceId && s.attributes["mcpgov.call.id"] === record.call_id);
  expect(spans).toHaveLength(1);
  const root = spans[0]!;
  const children = receiver.spans.filter((s) => s.parentSpanId === root.spanId);
  return { root, children };
}

const shape = (children: ReceivedSpan[]) => children.map((s) => `${s.kind}:${s.name}`).sort();

describe("tracing a mediated request", () => {
  it("exports one server span per tools/call with decide, upstream and output-guard children, MCP attributes, and the trace id in the audit record and log line", async () => {
    const memory = await client("memory");
    try {
      await memory.callTool({ name: "read_graph", arguments: {} });
    } finally {
      await memory.close();
    }
    const record = await lastCall("read_graph");
    const { root, children } = await traceOf(record);

    expect(root).toMatchObject({ name: "tools/call read_graph", kind: SPAN_KIND.server, parentSpanId: undefined });
    expect(root.status.code).not.toBe(STATUS_ERROR);
    expect(root.resource["service.name"]).toBe("mcpgov-e2e");
    expect(root.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "read_graph",
      "gen_ai.operation.name": "execute_tool",
      "jsonrpc.request.id": record.request_id,
      "network.transport": "tcp",
      "mcpgov.server.id": "memory",
      "mcpgov.call.id": record.call_id,
      "mcpgov.decision": "ALLOW",
      "mcpgov.rules": record.rules,
      "mcpgov.bundle.hash": record.bundle.hash,
      "mcpgov.outcome": "executed",
    });
    expect(typeof root.attributes["mcp.session.id"]).toBe("string");

    expect(shape(children)).toEqual([`${SPAN_KIND.internal}:mcpgov.decide`, `${SPAN_KIND.internal}:mcpgov.output_guard`, `${SPAN_KIND.client}:tools/call read_graph`].sort());
    const decide = children.find((s) => s.name === "mcpgov.decide")!;
    expect(decide.attributes).toMatchObject({ "mcpgov.decision": "ALLOW", "mcpgov.bundle.hash": record.bundle.hash });
    expect(Array.isArray(record.extra["output_rules"])).toBe(true);
    expect(children.find((s) => s.name === "mcpgov.output_guard")!.attributes).toMatchObject({
      "mcpgov.output.verdict": record.extra.output_verdict,
      "mcpgov.output.rules": record.extra["output_rules"],
    });
    expect(children.find((s) => s.kind === SPAN_KIND.client)!.attributes).toMatchObject({ "mcp.method.name": "tools/call", "mcpgov.server.id": "memory", "mcpgov.upstream.attempt": 1 });
    expect(children.every((s) => s.traceId === root.traceId)).toBe(true);

    // The intent record before the dispatch carries the same trace id, and the chain still verifies.
    const [intent] = (await gw.records({ callId: record.call_id })).filter((r) => r.kind === "intent");
    expect(intent && "extra" in intent ? intent.extra.trace_id : undefined).toBe(root.traceId);
    expect((await verifyChain(await gw.records())).ok).toBe(true);

    const line = logger.entries.find((e) => e.message === "tools/call" && e.fields["call_id"] === record.call_id);
    expect(line?.fields["trace_id"]).toBe(root.traceId);
  });

  it("gives the SDK path (a client that declared sampling) the same spans as the lean path", async () => {
    const memory = await client("memory", { capabilities: { sampling: {} } });
    try {
      await memory.callTool({ name: "search_nodes", arguments: { query: "x" } });
    } finally {
      await memory.close();
    }
    const { root, children } = await traceOf(await lastCall("search_nodes"));
    expect(root).toMatchObject({ name: "tools/call search_nodes", kind: SPAN_KIND.server });
    expect(root.attributes).toMatchObject({ "mcp.method.name": "tools/call", "mcpgov.decision": "ALLOW", "mcpgov.outcome": "executed" });
    expect(shape(children)).toEqual([`${SPAN_KIND.internal}:mcpgov.decide`, `${SPAN_KIND.internal}:mcpgov.output_guard`, `${SPAN_KIND.client}:tools/call search_nodes`].sort());
  });

  it("records a DENY as a successful mediation: the decision as attributes, no error status, no upstream span, no arguments", async () => {
    const memory = await client("memory");
    let callId: string;
    try {
      const result = await memory.callTool({
        name: "add_observations",
        arguments: { observations: [{ entityName: "e", contents: [`see https://off-list.example/${ARGUMENT_SECRET}`] }] },
      });
      callId = decisionOf(result).call_id;
    } finally {
      await memory.close();
    }
    const record = await callRecord(callId);
    expect(record.decision).toBe("DENY");
    const { root, children } = await traceOf(record);
    expect(root.status.code).not.toBe(STATUS_ERROR);
    expect(root.attributes).toMatchObject({ "mcpgov.decision": "DENY", "mcpgov.rules": record.rules, "mcpgov.outcome": "blocked" });
    expect(children.map((s) => s.name)).toEqual(["mcpgov.decide"]);
    expect(JSON.stringify(receiver.spans)).not.toContain(ARGUMENT_SECRET);
  });

  it("gives an approval wait its own span, with the approval id and the outcome", async () => {
    const fs = await client("filesystem");
    let callId: string;
    try {
      const result = await fs.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "held.txt"), content: "x" } });
      callId = decisionOf(result).call_id;
    } finally {
      await fs.close();
    }
    const record = await callRecord(callId);
    expect(record).toMatchObject({ decision: "REQUIRE_APPROVAL", outcome: "pending" });
    const { root, children } = await traceOf(record);
    expect(root.attributes).toMatchObject({ "mcpgov.decision": "REQUIRE_APPROVAL", "mcpgov.outcome": "pending" });
    expect(root.status.code).not.toBe(STATUS_ERROR);
    const approval = children.find((s) => s.name === "mcpgov.approval");
    expect(approval?.attributes).toMatchObject({ "mcpgov.approval.id": record.extra.approval_id, "mcpgov.outcome": "pending" });
    expect(children.map((s) => s.name).sort()).toEqual(["mcpgov.approval", "mcpgov.decide"]);
  });
});

describe("trace context", () => {
  it("honours the client's traceparent header as the parent of the request's span", async () => {
    const memory = await client("memory", { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    try {
      await memory.callTool({ name: "open_nodes", arguments: { names: ["a"] } });
    } finally {
      await memory.close();
    }
    const record = await lastCall("open_nodes");
    expect(record.extra.trace_id).toBe(CLIENT_TRACE);
    const { root } = await traceOf(record);
    expect(root.parentSpanId).toBe(CLIENT_SPAN);
  });

  it("prefers params._meta.traceparent (the MCP conventions' carrier) over the header", async () => {
    const metaTrace = "0af7651916cd43dd8448eb211c80319c";
    const memory = await client("memory", { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    try {
      await memory.callTool({ name: "open_nodes", arguments: { names: ["b"] }, _meta: { traceparent: `00-${metaTrace}-b7ad6b7169203331-01` } });
    } finally {
      await memory.close();
    }
    const record = await lastCall("open_nodes");
    expect(record.extra.trace_id).toBe(metaTrace);
    expect((await traceOf(record)).root.parentSpanId).toBe("b7ad6b7169203331");
  });

  it("ignores a malformed traceparent: a new trace, the same decision", async () => {
    const decisions: string[] = [];
    const traces: string[] = [];
    for (const header of [`00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-01`, `00-${"0".repeat(32)}-${CLIENT_SPAN}-01`, "garbage"]) {
      const memory = await client("memory", { headers: { traceparent: header } });
      try {
        await memory.callTool({ name: "open_nodes", arguments: { names: ["c"] } });
      } finally {
        await memory.close();
      }
      const record = await lastCall("open_nodes");
      decisions.push(record.decision);
      const { root } = await traceOf(record);
      expect(root.parentSpanId).toBeUndefined();
      traces.push(root.traceId);
    }
    expect(decisions).toEqual(["ALLOW", "ALLOW", "ALLOW"]);
    expect(new Set(traces).size).toBe(3);
    expect(traces).not.toContain(CLIENT_TRACE);
  });

  it("sends the upstream-call span's traceparent to an HTTP upstream, on the lean path and through the SDK client", async () => {
    const remoteClient = await client("remote");
    try {
      const seen = remote.headers.length;
      await remoteClient.callTool({ name: "echo", arguments: { message: "lean" } });
      const lean = await lastCall("echo");
      const leanSpan = (await traceOf(lean)).children.find((s) => s.kind === SPAN_KIND.client)!;
      const leanHeaders = remote.headers.slice(seen).map((h) => h["traceparent"]).filter((v) => v !== undefined);
      expect(leanHeaders).toEqual([`00-${lean.extra.trace_id}-${leanSpan.spanId}-01`]);

      // A call with progress goes through the SDK client's own transport.
      const before = remote.headers.length;
      await remoteClient.callTool({ name: "echo", arguments: { message: "sdk" } }, undefined, { onprogress: () => undefined });
      const sdk = await lastCall("echo");
      expect(sdk.call_id).not.toBe(lean.call_id);
      const sdkSpan = (await traceOf(sdk)).children.find((s) => s.kind === SPAN_KIND.client)!;
      const sdkHeaders = remote.headers.slice(before).map((h) => h["traceparent"]).filter((v) => v !== undefined);
      expect(sdkHeaders).toEqual([`00-${sdk.extra.trace_id}-${sdkSpan.spanId}-01`]);
    } finally {
      await remoteClient.close();
    }
  });
});

describe("the trace id in the audit tools", () => {
  it("`mcpgov audit why` shows it", async () => {
    const record = await lastCall("read_graph");
    await gw.close();
    const result = await runCli(["audit", "why", record.call_id, "--data-dir", ws.dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`trace        ${record.extra.trace_id}`);
  });
});
