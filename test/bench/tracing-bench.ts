/**
 * @module Tracing's cost on the call path: `mediate()` on in-memory doubles
 * (a static ALLOW engine, an audit store that keeps nothing, an upstream
 * that answers at once), so the pipeline's own CPU per call is what moves.
 * Untraced against every request traced and exported over OTLP/HTTP to a
 * loopback receiver that reads and discards it. Rounds alternate, so the
 * neighbours' load on this shared machine falls on both alike.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuditStore } from "../../src/audit/audit-store.js";
import type { Decision } from "../../src/core/decision.js";
import type { OutputDecision } from "../../src/core/output-decision.js";
import { parseGatewayConfig } from "../../src/gateway/config.js";
import type { GatewayContext } from "../../src/gateway/context.js";
import { createMetrics } from "../../src/gateway/metrics.js";
import { mediate } from "../../src/gateway/pipeline/mediate.js";
import type { MediatedRequest } from "../../src/gateway/pipeline/request.js";
import { Registry } from "../../src/gateway/registry.js";
import { silentLogger } from "../../src/logger.js";
import { startOtelTracing } from "../../src/telemetry/otel-tracing.js";
import { tracingSettings } from "../../src/telemetry/tracing-settings.js";
import { fmt } from "./stats.js";

const CALLS_PER_ROUND = 10_000;
const ROUNDS = 5;
const BUNDLE = { hash: `sha256:${"c".repeat(64)}`, revision: "bench" };

function doubles(): GatewayContext {
  const decision: Decision = { decision: "ALLOW", rules: ["bench"], reason: "bench", constraints: {}, matched: [{ rule: "bench", decision: "ALLOW" }], bundle: BUNDLE };
  const output: OutputDecision = { decision: "PASS", rules: ["pass"], reason: "pass", matched: [], redact_types: [], bundle: BUNDLE };
  const engine = { bundle: BUNDLE, decide: () => decision, decideValid: () => decision, decideOutput: () => output, decideOutputValid: () => output };
  let seq = 0;
  const config = parseGatewayConfig("bundle: b.tar.gz\nauth: {mode: none}\nservers:\n  - id: s\n    transport: {type: stdio, command: node}\n    tools: {echo: read}\n", "/tmp/mcpgov-bench/mcpgov.yaml");
  return {
    config,
    registry: new Registry(config.servers),
    bundles: { current: () => Object.assign(engine, { isolated: engine }) },
    audit: { append: async (entry: object) => ({ ...entry, seq: ++seq, prev_hash: "x", hash: "x" }) } as unknown as AuditStore,
    quarantine: {},
    metrics: createMetrics(),
    logger: silentLogger,
    upstreams: new Map([["s", { id: "s", serverCapabilities: { tools: {} } }]]),
    catalogs: new Map([["s", { lookup: async (name: string) => ({ ok: true, tool: { name, inputSchema: { type: "object" } } }), registryView: () => undefined }]]),
    clock: () => new Date(),
    relay: {},
    approvals: {},
    approvalMetrics: { unapprovedHighRisk: { inc: () => undefined } },
  } as unknown as GatewayContext;
}

const request = (): MediatedRequest => ({
  method: "tools/call",
  serverId: "s",
  params: { name: "echo", arguments: { text: "hi" } },
  subject: { id: "alice", roles: [], scopes: [] },
  transport: "stdio",
  signal: new AbortController().signal,
  dispatch: async () => ({ content: [{ type: "text", text: "done" }] }),
});

/** CPU µs per call over `calls` calls. */
async function cpuPerCall(ctx: GatewayContext, calls: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const mediated = await mediate(ctx, request());
    if (!mediated.ok) throw new Error(`bench call refused: ${mediated.refusal.text}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

export async function tracingBench(): Promise<string[]> {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  const off = doubles();
  const on = doubles();
  on.tracing = await startOtelTracing(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint })!, { env: {}, configDir: "/tmp", logger: silentLogger });
  try {
    await cpuPerCall(off, 2_000);
    await cpuPerCall(on, 2_000);
    const offRuns: number[] = [];
    const onRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      offRuns.push(await cpuPerCall(off, CALLS_PER_ROUND));
      onRuns.push(await cpuPerCall(on, CALLS_PER_ROUND));
    }
    const range = (runs: number[]) => `${fmt(Math.min(...runs), 1)}–${fmt(Math.max(...runs), 1)} µs`;
    return [
      `tracing: CPU per mediate() on in-memory doubles, ${ROUNDS}×${CALLS_PER_ROUND} calls each, alternating`,
      `  off ${range(offRuns)}; on (every request sampled, OTLP to loopback) ${range(onRuns)}`,
    ];
  } finally {
    await on.tracing.shutdown();
    receiver.closeAllConnections();
    receiver.close();
  }
}
