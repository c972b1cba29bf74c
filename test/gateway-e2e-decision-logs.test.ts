/**
 * End to end: decisions of real calls through the gateway reach a
 * decision-log service (a loopback receiver) as OPA ships them — gzipped
 * batches, one unique decision_id per decision, the gateway's labels and
 * the bundle — and the same ids come out of `mcpgov audit export
 * --decision-log`. With the service down calls go on at normal speed and
 * every event not shipped is counted; a tiny buffer drops exactly the overflow.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decisionIdOf } from "../src/audit/decision-log.js";
import type { CallRecord } from "../src/core/audit-record.js";
import { runCli, repoRoot } from "./helpers/cli.js";
import { refusedUrl, startDecisionLogReceiver, type DecisionLogReceiver } from "./helpers/decision-log-receiver.js";
import { disposeGateway, metricValue, referenceWorkspace, rugServer, startTestGateway, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

const VERSION = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

let ws: Workspace;
let gw: TestGateway | undefined;
let receiver: DecisionLogReceiver | undefined;
let run = 0;

beforeAll(async () => {
  ws = await referenceWorkspace();
});
afterEach(async () => {
  await gw?.close();
  await receiver?.close();
  gw = receiver = undefined;
});
afterAll(() => disposeGateway(undefined, ws));

/** A gateway on the rug server, with its own data dir, shipping decision logs as configured. */
async function gatewayWith(decisionLogs: Record<string, unknown>): Promise<{ gw: TestGateway; dataDir: string }> {
  const dataDir = join(ws.dir, `data-${++run}`);
  await writeGatewayConfig(ws, {
    servers: [rugServer(ws)],
    extra: { data_dir: dataDir, gateway: { id: "gw-e2e", labels: { region: "eu-test" } }, decision_logs: decisionLogs },
  });
  gw = await startTestGateway(ws);
  return { gw, dataDir };
}

const seqOf = (event: Record<string, unknown>) => (event["custom"] as { audit_seq: number }).audit_seq;

describe("decision logs", () => {
  it("ships every decision of real calls with a unique decision_id, the gateway's labels and the bundle; export has the same ids", async () => {
    receiver = await startDecisionLogReceiver();
    const { gw, dataDir } = await gatewayWith({ url: receiver.url, min_delay_sec: 0.05, max_delay_sec: 0.1 });
    const client = await gw.connect("rug");
    for (let i = 0; i < 5; i++) expect((await client.callTool({ name: "echo", arguments: { text: `m-${i}` } })).isError).toBeFalsy();
    // Not in the lock: denied, and still a decision.
    expect((await client.callTool({ name: "no-such-tool", arguments: {} })).isError).toBe(true);
    const calls: CallRecord[] = await gw.calls();
    expect(calls.filter((c) => c.outcome === "executed").length).toBeGreaterThanOrEqual(5);
    expect(calls.some((c) => c.outcome === "blocked")).toBe(true);
    await receiver.waitFor(calls.length);

    const events = receiver.events();
    expect(events).toHaveLength(calls.length);
    const ids = events.map((e) => e["decision_id"] as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(calls.map(decisionIdOf));
    const bundle = gw.gateway.ctx.bundles.current().bundle;
    for (const event of events) {
      expect(event).toMatchObject({
        labels: { id: "gw-e2e", version: VERSION, region: "eu-test" },
        bundles: { mcpgov: { revision: "e2e", hash: bundle.hash } },
        path: "mcpgov/decision/result",
      });
    }
    expect(events.find((e) => (e["custom"] as { outcome: string }).outcome === "blocked")).toMatchObject({ result: { decision: "DENY" } });
    expect(receiver.uploads.every((u) => u.path === "/logs" && u.headers["content-encoding"] === "gzip")).toBe(true);
    expect(await gw.metric("mcpgov_decision_logs_sent_total")).toBe(calls.length);
    expect(await gw.metric("mcpgov_decision_logs_dropped_total")).toBe(0);

    await gw.close();
    const exported = await runCli(["audit", "export", "--data-dir", dataDir, "--decision-log", "-"]);
    expect(exported.code).toBe(0);
    const exportedIds = exported.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { decision_id: string }).decision_id);
    expect(new Set(exportedIds).size).toBe(exportedIds.length);
    expect(exportedIds).toEqual(ids);
  });

  it("with the service down, calls keep their normal latency, and failures and drops are counted on /metrics", async () => {
    const { gw } = await gatewayWith({ url: await refusedUrl(), min_delay_sec: 0.02, max_delay_sec: 0.1, buffer_size_limit_events: 3, shutdown_flush_ms: 200 });
    const client = await gw.connect("rug");
    const latencies: number[] = [];
    for (let i = 0; i < 12; i++) {
      const started = performance.now();
      expect((await client.callTool({ name: "echo", arguments: { text: `down-${i}` } })).isError).toBeFalsy();
      latencies.push(performance.now() - started);
    }
    // A call never waits on the feed: no call near a connect timeout, and the typical call stays fast.
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    expect(latencies.sort((a, b) => a - b)[6]!).toBeLessThan(250);
    await expect.poll(() => gw.metric("mcpgov_decision_logs_upload_failures_total", { kind: "network" }), { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    const calls = (await gw.calls()).length;
    const text = await (await gw.fetch("/metrics")).text();
    // Every decision is either still buffered or counted as dropped; none vanished.
    expect(metricValue(text, "mcpgov_decision_logs_sent_total")).toBe(0);
    expect(metricValue(text, "mcpgov_decision_logs_dropped_total", { reason: "buffer_full" }) + metricValue(text, "mcpgov_decision_logs_buffered")).toBe(calls);
    expect(metricValue(text, "mcpgov_decision_logs_dropped_total", { reason: "buffer_full" })).toBeGreaterThanOrEqual(calls - 6);

    const metrics = gw.gateway.ctx.metrics;
    const closing = performance.now();
    await gw.close();
    expect(performance.now() - closing).toBeLessThan(3_000);
    const dropped = (await metrics.decisionLogsDropped.get()).values.reduce((sum, s) => sum + s.value, 0);
    expect(dropped).toBe(calls);
  });

  it("with a tiny buffer, drops exactly the overflow (the oldest) and ships the rest at shutdown", async () => {
    receiver = await startDecisionLogReceiver();
    // No upload before close: only the bound decides.
    const { gw } = await gatewayWith({ url: receiver.url, min_delay_sec: 60, max_delay_sec: 60, buffer_size_limit_events: 2 });
    const client = await gw.connect("rug");
    for (let i = 0; i < 7; i++) await client.callTool({ name: "echo", arguments: { text: `tiny-${i}` } });
    const calls = await gw.calls();
    expect(await gw.metric("mcpgov_decision_logs_dropped_total", { reason: "buffer_full" })).toBe(calls.length - 2);
    expect(await gw.metric("mcpgov_decision_logs_buffered")).toBe(2);
    await gw.close();
    expect(receiver.events().map(seqOf)).toEqual(calls.slice(-2).map((c) => c.seq));
  });
});
