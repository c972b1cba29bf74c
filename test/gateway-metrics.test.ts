/**
 * Metrics that scale, on a real gateway: the `server` label takes only
 * registered ids and "unknown", mcpgov_bundle_info follows a swap, the
 * approval queue wait is a histogram (no summary anywhere), and /metrics
 * can be put behind a bearer token.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDiagnostic, type McpgovError } from "../src/core/errors.js";
import { loadGatewayConfig } from "../src/gateway/config.js";
import { startGateway } from "../src/gateway/gateway.js";
import {
  buildReferenceBundle,
  disposeGateway,
  everythingServer,
  INITIALIZE,
  KEY_ENV,
  KEYS,
  mcpHeaders,
  metricValue,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [everythingServer()] });
  gw = await startTestGateway(ws);
});

const extraWorkspaces: Workspace[] = [];
afterAll(async () => {
  await disposeGateway(gw, ws);
  for (const extra of extraWorkspaces) await disposeGateway(undefined, extra);
});

const scrape = async (): Promise<string> => (await gw.fetch("/metrics")).text();

describe("the server label", () => {
  it("puts every unregistered server a client names under server=\"unknown\"", async () => {
    const invented = ["evil-1", "evil-2", "x".repeat(100), "%E2%9C%93"];
    for (const id of invented) {
      const response = await gw.fetch(`/mcp/${id}`, { method: "POST", headers: mcpHeaders(), body: JSON.stringify(INITIALIZE) });
      expect(response.status).toBe(404);
    }
    const text = await scrape();
    expect(metricValue(text, "mcpgov_decisions_total", { server: "unknown" })).toBe(invented.length);
    expect(metricValue(text, "mcpgov_unknown_server_attempts_total")).toBe(invented.length);
    const serverValues = new Set([...text.matchAll(/server="([^"]*)"/g)].map((m) => m[1]));
    for (const value of serverValues) expect(["everything", "unknown"]).toContain(value);
    expect(text).not.toContain("evil-");
  });

  it("keeps the registered id for registered servers, and exports unapproved writes at 0 from the start", async () => {
    const client = await gw.connect("everything");
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "hi" } }))).toContain("hi");
    const text = await scrape();
    expect(metricValue(text, "mcpgov_decisions_total", { server: "everything" })).toBeGreaterThan(0);
    expect(text).toMatch(/^mcpgov_unapproved_high_risk_writes_total\{server="everything"\} 0$/m);
  });
});

describe("mcpgov_bundle_info", () => {
  it("is 1 for the active bundle, and a swap replaces the series", async () => {
    const before = gw.gateway.ctx.bundles.current().bundle;
    let text = await scrape();
    expect(metricValue(text, "mcpgov_bundle_info", { hash: before.hash, revision: before.revision })).toBe(1);

    const next = await buildReferenceBundle(join(ws.dir, "next.tar.gz"), { revision: "metrics-v2", maxRuntimeSec: 7 });
    const swap = await gw.fetch("/admin/bundle", { method: "POST", headers: { authorization: `Bearer ${KEYS.admin}`, "content-type": "application/gzip" }, body: readFileSync(next) });
    expect(swap.status).toBe(200);
    const after = gw.gateway.ctx.bundles.current().bundle;
    expect(after.hash).not.toBe(before.hash);

    text = await scrape();
    expect(metricValue(text, "mcpgov_bundle_info", { hash: after.hash, revision: "metrics-v2" })).toBe(1);
    expect(text).not.toContain(before.hash);
    expect(text.split("\n").filter((line) => line.startsWith("mcpgov_bundle_info{"))).toHaveLength(1);
  });
});

describe("aggregatable types", () => {
  it("exports the approval queue wait as a histogram and no summary at all", async () => {
    const text = await scrape();
    expect(text).toContain("# TYPE mcpgov_approval_queue_wait_seconds histogram");
    expect(text).not.toMatch(/^# TYPE \S+ summary$/m);
    // The decision latency buckets reach past the gate's 150 ms, so its p95 can read above it.
    expect(text).toMatch(/^mcpgov_decision_latency_seconds_bucket\{le="0\.15"\}/m);
  });
});

describe("metrics.auth bearer", () => {
  it("answers 401 without the scrape token and the metrics with it", async () => {
    const protectedWs = await referenceWorkspace();
    extraWorkspaces.push(protectedWs);
    await writeGatewayConfig(protectedWs, { servers: [], pin: false, extra: { metrics: { auth: "bearer", token_env: "MCPGOV_TEST_SCRAPE_TOKEN" } } });
    const env = { ...KEY_ENV, MCPGOV_TEST_SCRAPE_TOKEN: "scrape-token-0123456789" };
    const config = await loadGatewayConfig(protectedWs.configPath, { env });
    const gateway = await startGateway(config, { env });
    try {
      const none = await fetch(`${gateway.url}/metrics`);
      expect(none.status).toBe(401);
      expect(await none.text()).not.toContain("mcpgov_");
      expect((await fetch(`${gateway.url}/metrics`, { headers: { authorization: "Bearer wrong-token" } })).status).toBe(401);
      // The client API key is not the scrape token.
      expect((await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.alice}` } })).status).toBe(401);
      const ok = await fetch(`${gateway.url}/metrics`, { headers: { authorization: "Bearer scrape-token-0123456789" } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("mcpgov_bundle_info");
    } finally {
      await gateway.close();
    }
    // Fail closed: a bearer scrape without its token does not start.
    const missing = await loadGatewayConfig(protectedWs.configPath, { env: KEY_ENV });
    await expect(startGateway(missing, { env: KEY_ENV })).rejects.toThrow(/MCPGOV_TEST_SCRAPE_TOKEN \(metrics\.token_env\) is not set/);
  });

  it("refuses a config with auth bearer and no token_env, naming the field", async () => {
    const badWs = await referenceWorkspace();
    extraWorkspaces.push(badWs);
    await writeGatewayConfig(badWs, { servers: [], pin: false, extra: { metrics: { auth: "bearer" } } });
    const error = await loadGatewayConfig(badWs.configPath, { env: KEY_ENV }).then(
      () => undefined,
      (thrown: unknown) => thrown as McpgovError,
    );
    expect((error?.data.diagnostics ?? []).map(formatDiagnostic).join("\n")).toMatch(/metrics\.token_env.*auth bearer needs token_env/);
  });
});
