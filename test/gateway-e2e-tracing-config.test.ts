/**
 * End to end: what turns tracing on and off. Off, no exporter exists and
 * the receiver hears nothing; on by the standard OTEL_* environment alone,
 * spans arrive with the configured headers, and closing the gateway
 * exports what was still batched.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";
import {
  disposeGateway,
  KEY_ENV,
  memoryServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { type OtlpReceiver, SPAN_KIND, startOtlpReceiver } from "./helpers/otlp-receiver.js";
import { memoryLogger } from "./helpers/rug-pull.js";

let ws: Workspace | undefined;
let gw: TestGateway | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await disposeGateway(gw, ws);
  await receiver?.close();
  gw = undefined;
  ws = undefined;
  receiver = undefined;
});

async function readGraph(gateway: TestGateway): Promise<void> {
  const memory = await gateway.connect("memory");
  await memory.callTool({ name: "read_graph", arguments: {} });
}

describe("tracing configuration", () => {
  it("off: no exporter is created, nothing is exported, and records and log lines carry no trace id", async () => {
    receiver = await startOtlpReceiver();
    ws = await referenceWorkspace();
    // An endpoint that would receive spans, switched off in the file.
    await writeGatewayConfig(ws, { servers: [memoryServer(ws)], extra: { tracing: { endpoint: receiver.url, enabled: false } } });
    const logger = memoryLogger();
    gw = await startTestGateway(ws, { logger });
    expect(gw.gateway.ctx.tracing).toBeUndefined();

    await readGraph(gw);
    const [record] = await gw.calls();
    await gw.close();

    expect(record?.outcome).toBe("executed");
    expect(record?.extra).not.toHaveProperty("trace_id");
    const line = logger.entries.find((e) => e.message === "tools/call");
    expect(line?.fields).toMatchObject({ call_id: record?.call_id });
    expect(line?.fields).not.toHaveProperty("trace_id");
    expect(receiver.requests).toEqual([]);
  });

  it("on by the OTEL_* environment alone: spans arrive at OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the section's headers, flushed when the gateway closes", async () => {
    receiver = await startOtlpReceiver();
    ws = await referenceWorkspace();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base,
      OTEL_SERVICE_NAME: "mcpgov-from-env",
      COLLECTOR_TOKEN: "collector-token-0123456789",
    };
    // No endpoint and no `enabled` in the file: the environment turns tracing on; the header comes from the file.
    await writeGatewayConfig(ws, { servers: [memoryServer(ws)], env, extra: { tracing: { headers: { "x-collector-token": { from_env: "COLLECTOR_TOKEN" } } } } });
    gw = await startTestGateway(ws, { env });
    expect(gw.gateway.ctx.tracing).toBeDefined();

    await readGraph(gw);
    const [record] = await gw.calls();
    // No flush: the batch goes out because close() shuts tracing down.
    await gw.close();

    const root = receiver.spans.find((s) => s.kind === SPAN_KIND.server && s.attributes["mcpgov.call.id"] === record?.call_id);
    expect(root?.traceId).toBe(record?.extra.trace_id);
    expect(root?.resource["service.name"]).toBe("mcpgov-from-env");
    expect(receiver.spans.filter((s) => s.parentSpanId === root?.spanId).map((s) => s.name).sort()).toEqual(["mcpgov.decide", "mcpgov.output_guard", "tools/call read_graph"]);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.path === "/v1/traces" && r.headers["x-collector-token"] === "collector-token-0123456789")).toBe(true);
  });

  it("a collector that is down never holds up or fails a call: the export failure is logged, without the headers", async () => {
    // A port that was just listening and is now closed: exports are refused.
    const gone = await startOtlpReceiver();
    await gone.close();
    ws = await referenceWorkspace();
    const env = { COLLECTOR_TOKEN: "collector-token-0123456789" };
    await writeGatewayConfig(ws, { servers: [memoryServer(ws)], env, extra: { tracing: { endpoint: gone.url, timeout_ms: 1000, headers: { "x-collector-token": { from_env: "COLLECTOR_TOKEN" } } } } });
    const logger = memoryLogger();
    gw = await startTestGateway(ws, { env, logger });

    await readGraph(gw);
    const [record] = await gw.calls();
    expect(record).toMatchObject({ decision: "ALLOW", outcome: "executed" });
    expect(record?.extra.trace_id).toMatch(/^[0-9a-f]{32}$/);
    await gw.gateway.ctx.tracing!.flush();
    await gw.close();

    const failure = logger.entries.find((e) => e.message.startsWith("trace export failed"));
    expect(failure?.level).toBe("warn");
    expect(JSON.stringify(logger.entries)).not.toContain("collector-token-0123456789");
  });

  it("`mcpgov stdio` traces too: network.transport pipe, the parent from params._meta.traceparent (stdio has no headers), flushed when the client hangs up", async () => {
    expect(existsSync(join(repoRoot, "dist", "cli", "main.js")), "needs `npm run build`").toBe(true);
    receiver = await startOtlpReceiver();
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [memoryServer(ws)] });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repoRoot, "bin", "mcpgov.js"), "stdio", "--server", "memory", "--config", ws.configPath],
      env: {
        ...getDefaultEnvironment(),
        ...KEY_ENV,
        MCPGOV_SUBJECT: "desktop:alice",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
        // The SDK's batch delay, a minute: only the shutdown when the client hangs up can deliver the span in time.
        OTEL_BSP_SCHEDULE_DELAY: "60000",
      },
      cwd: ws.dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "desktop", version: "1.0.0" });
    await client.connect(transport);
    const traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
    try {
      await client.callTool({ name: "read_graph", arguments: {}, _meta: { traceparent: `00-${traceId}-10f067aa0ba902b8-01` } });
    } finally {
      await client.close();
    }
    // The gateway process exports its batch as it shuts down; wait for it to arrive (bounded).
    for (let i = 0; i < 100 && !receiver.spans.some((s) => s.kind === SPAN_KIND.server); i++) await new Promise((r) => setTimeout(r, 100));
    const root = receiver.spans.find((s) => s.kind === SPAN_KIND.server);
    expect(root).toMatchObject({ traceId, parentSpanId: "10f067aa0ba902b8", name: "tools/call read_graph" });
    expect(root?.attributes).toMatchObject({ "network.transport": "pipe", "mcpgov.decision": "ALLOW", "mcpgov.outcome": "executed" });
  });
});
