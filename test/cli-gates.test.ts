/**
 * `mcpgov gates` against real gateways: a clean one passes (exit 0), one
 * whose policy lets a production write run without approval blocks (exit
 * 2); missing data blocks unless allowed; and the Prometheus rules it
 * writes pass the real `promtool check rules` and `promtool test rules`
 * (Debian's prometheus package; .ci/run installs it when missing).
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../src/toolchain/build.js";
import { copyReference, tempDir } from "./helpers/bundles.js";
import { runCli } from "./helpers/cli.js";
import { expectExample } from "./helpers/readme.js";
import {
  createWorkspace,
  disposeGateway,
  everythingServer,
  filesystemServer,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { findOrBuildPromtool } from "./helpers/promtool.js";

/** The reference policy with its production-write approval replaced by a plain ALLOW: the mistake the gate exists for. */
async function unsafeBundle(output: string): Promise<void> {
  const scratch = await tempDir("mcpgov-gates-policy-");
  try {
    const policy = await copyReference(scratch);
    const rule = join(policy, "mcpgov", "rules", "require_approval_production_write");
    await rm(join(rule, "rule_test.rego"));
    await writeFile(
      join(rule, "rule.rego"),
      `# METADATA
# title: allow-production-write-unsafe
# description: Lets a production write run without approval (a policy mistake, for the rollout gate test).
package mcpgov.rules.require_approval_production_write

import rego.v1

import data.mcpgov.lib.envelope as env
import data.mcpgov.lib.result

hits contains result.allow("allow-production-write-unsafe", "production write without approval") if {
	env.is_write
	env.has_risk_tag("prod")
}
`,
    );
    await buildBundle({ policyDir: policy, output, revision: "unsafe" });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface GatesJson {
  blocked: boolean;
  results: Array<{ id: string; status: string; value?: number; blocks: boolean; note?: string }>;
}

const byId = (json: GatesJson, id: string) => json.results.find((r) => r.id === id);

describe("mcpgov gates --gateway", () => {
  let cleanWs: Workspace;
  let clean: TestGateway;
  let unsafeWs: Workspace;
  let unsafe: TestGateway;

  beforeAll(async () => {
    cleanWs = await referenceWorkspace();
    await writeGatewayConfig(cleanWs, { servers: [filesystemServer(cleanWs), everythingServer()] });
    clean = await startTestGateway(cleanWs);
    unsafeWs = await createWorkspace();
    await unsafeBundle(unsafeWs.bundlePath);
    await writeGatewayConfig(unsafeWs, { servers: [filesystemServer(unsafeWs)] });
    unsafe = await startTestGateway(unsafeWs);
  });

  afterAll(async () => {
    await disposeGateway(clean, cleanWs);
    await disposeGateway(unsafe, unsafeWs);
  });

  it("passes (exit 0) on a clean gateway that served calls", async () => {
    const client = await clean.connect("everything");
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "hello" } }))).toContain("hello");
    const result = await runCli(["gates", "--gateway", clean.url]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`mcpgov gates (${clean.url}/metrics): PASS (5 gates)`);
    expect(result.stdout).toMatch(/^ {2}PASS {4}unapproved-high-risk-writes {2}0 {2}\(block above 0, target 0; owner Governance\)/m);
  });

  it("blocks (exit 2) once a production write ran without approval", async () => {
    const client = await unsafe.connect("filesystem");
    const written = await client.callTool({ name: "write_file", arguments: { path: join(unsafeWs.sandbox, "prod.txt"), content: "no approval" } });
    expect((written as { isError?: boolean }).isError).not.toBe(true);
    expect(await unsafe.metric("mcpgov_unapproved_high_risk_writes_total", { server: "filesystem" })).toBe(1);

    const pretty = await runCli(["gates", "--gateway", unsafe.url]);
    expect(pretty.code).toBe(2);
    expect(pretty.stdout).toContain("BLOCK (1 of 5 gates)");
    expect(pretty.stdout).toMatch(/^ {2}BLOCK {3}unapproved-high-risk-writes {2}1 {2}\(block above 0, target 0; owner Governance\)/m);
    expectExample("gates-block", `$ mcpgov gates --gateway http://127.0.0.1:8787\n${pretty.stdout.replaceAll(unsafe.url, "http://127.0.0.1:8787")}$ echo $?\n${pretty.code}`);

    const json = await runCli(["gates", "--gateway", unsafe.url, "--format", "json"]);
    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.stdout) as GatesJson;
    expect(parsed.blocked).toBe(true);
    expect(byId(parsed, "unapproved-high-risk-writes")).toMatchObject({ status: "block", value: 1, blocks: true });
    expect(byId(parsed, "unknown-server-connections")).toMatchObject({ status: "pass", value: 0 });

    // A per-gate override is a flag away, and an unknown gate id is an error, not a silent no-op.
    expect((await runCli(["gates", "--gateway", unsafe.url, "--threshold", "unapproved-high-risk-writes=1"])).code).toBe(0);
    const typo = await runCli(["gates", "--gateway", unsafe.url, "--threshold", "unapproved-writes=1"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('no gate "unapproved-writes"');
  });

  it("blocks on a request for an unknown server", async () => {
    const before = await runCli(["gates", "--gateway", clean.url, "--format", "json"]);
    expect(byId(JSON.parse(before.stdout) as GatesJson, "unknown-server-connections")).toMatchObject({ status: "pass", value: 0 });
    await clean.fetch("/mcp/shadow-server", { method: "POST", headers: { authorization: "Bearer x" }, body: "{}" }); // 401: not counted
    const denied = await fetch(`${clean.url}/mcp/shadow-server`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: "Bearer alice-e2e-key-0123456789abcdef" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } } }),
    });
    expect(denied.status).toBe(404);
    const after = await runCli(["gates", "--gateway", clean.url, "--format", "json"]);
    expect(after.code).toBe(2);
    expect(byId(JSON.parse(after.stdout) as GatesJson, "unknown-server-connections")).toMatchObject({ status: "block", value: 1 });
  });

  it("reads the same gates from the audit store over a window (--data-dir --window)", async () => {
    // By now: the unsafe gateway ran one unapproved production write; the clean one saw one unknown server.
    const unsafeRun = await runCli(["gates", "--data-dir", unsafeWs.dataDir, "--window", "1h", "--format", "json"]);
    expect(unsafeRun.code).toBe(2);
    const unsafeJson = JSON.parse(unsafeRun.stdout) as GatesJson & { source: string };
    expect(unsafeJson.source).toBe(`audit store ${unsafeWs.dataDir}, last 1h`);
    expect(byId(unsafeJson, "unapproved-high-risk-writes")).toMatchObject({ status: "block", value: 1, note: "the audit records of the last 1h" });
    expect(byId(unsafeJson, "unknown-server-connections")).toMatchObject({ status: "pass", value: 0 });

    const cleanRun = await runCli(["gates", "--data-dir", cleanWs.dataDir, "--window", "1h", "--format", "json"]);
    expect(cleanRun.code).toBe(2);
    const cleanJson = JSON.parse(cleanRun.stdout) as GatesJson;
    expect(byId(cleanJson, "unknown-server-connections")).toMatchObject({ status: "block", value: 1 });
    expect(byId(cleanJson, "unapproved-high-risk-writes")).toMatchObject({ status: "pass", value: 0 });
    expect(byId(cleanJson, "policy-decision-p95-latency")?.status).toBe("pass");

    const bad = await runCli(["gates", "--data-dir", cleanWs.dataDir, "--window", "an hour"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--window "an hour": expected a duration');
    const both = await runCli(["gates", "--data-dir", cleanWs.dataDir, "--gateway", clean.url]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("not both");
  });
});

describe("a gateway with metrics.auth bearer", () => {
  it("is scraped with the token from $MCPGOV_METRICS_TOKEN, and refused without it", async () => {
    const ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [], pin: false, extra: { metrics: { auth: "bearer", token_env: "MCPGOV_GATES_TEST_SCRAPE" } } });
    const gw = await startTestGateway(ws, { env: { MCPGOV_GATES_TEST_SCRAPE: "gates-scrape-token-42" } });
    try {
      const refused = await runCli(["gates", "--gateway", gw.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("answered 401");
      const ok = await runCli(["gates", "--gateway", gw.url], { env: { MCPGOV_METRICS_TOKEN: "gates-scrape-token-42" } });
      expect(ok.stdout).toContain("PASS (5 gates)");
      expect(ok.code).toBe(0);
      const named = await runCli(["gates", "--gateway", gw.url, "--token-env", "OTHER_TOKEN"], { env: { OTHER_TOKEN: "gates-scrape-token-42" } });
      expect(named.code).toBe(0);
    } finally {
      await disposeGateway(gw, ws);
    }
  });
});

describe("missing data", () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Not a gateway: a /metrics with none of the gates' metrics (the wrong target, or an old gateway).
    server = createServer((_req, res) => res.end("# TYPE other_total counter\nother_total 3\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("blocks on every gate it cannot measure, and says so; --allow-missing lets them pass", async () => {
    const strict = await runCli(["gates", "--gateway", url]);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toContain("BLOCK (5 of 5 gates)");
    expect(strict.stdout).toMatch(/MISSING unapproved-high-risk-writes {2}no data .* — the scrape has no counter mcpgov_unapproved_high_risk_writes_total/);
    const allowed = await runCli(["gates", "--gateway", url, "--allow-missing"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("MISSING (allowed)");
  });

  it("fails (exit 1, not a pass) when the gateway cannot be scraped", async () => {
    const result = await runCli(["gates", "--gateway", "http://127.0.0.1:9/"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot scrape http:\/\/127\.0\.0\.1:9\/metrics/);
  });
});

describe("gates file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir("mcpgov-gates-file-");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("names the file, line and field of a bad gate", async () => {
    const file = join(dir, "gates.yaml");
    await writeFile(file, "gates:\n  - id: too-slow\n    title: Too slow\n    owner: Platform\n    measure: decision_latency_p95_seconds\n    target: 0.05\n    block_above: -1\n    window: 5m\n    for: 15m\n");
    const result = await runCli(["gates", "--gates", file, "--prometheus-rules"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:7: gates[0].block_above:`);
  });
});

describe("mcpgov gates --prometheus-rules with the real promtool", () => {
  let dir: string;
  let promtool: string;
  beforeAll(async () => {
    // Not skipped when missing: a rules file nobody checked is the defect this test is for.
    promtool = findOrBuildPromtool();
    dir = await tempDir("mcpgov-gates-rules-");
  }, 1_800_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes rules promtool accepts, whose unapproved-writes alert fires on the first such write and the quarantine alert after 15 minutes above 3%", async () => {
    const rules = join(dir, "mcpgov-gates.rules.yml");
    const written = await runCli(["gates", "--prometheus-rules", "--output", rules]);
    expect(written.code).toBe(0);
    const check = spawnSync(promtool, ["check", "rules", rules], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toContain("SUCCESS: 5 rules found");
    expect(check.status).toBe(0);

    // Two gateways; one of them runs a production write without approval at minute 3. Then a quarantine ratio of 10%.
    const unitTest = join(dir, "gates.test.yml");
    await writeFile(
      unitTest,
      `rule_files: [${JSON.stringify(rules)}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'mcpgov_unapproved_high_risk_writes_total{instance="gw-a",server="filesystem"}'
        values: '0 0 0 1 1 1'
      - series: 'mcpgov_unapproved_high_risk_writes_total{instance="gw-b",server="filesystem"}'
        values: '0 0 0 0 0 0'
      - series: 'mcpgov_unknown_server_attempts_total{instance="gw-a"}'
        values: '0 0 0 0 0 0'
    alert_rule_test:
      - eval_time: 2m
        alertname: McpgovGateUnapprovedHighRiskWrites
        exp_alerts: []
      - eval_time: 2m
        alertname: McpgovGateUnknownServerConnections
        exp_alerts: []
      - eval_time: 5m
        alertname: McpgovGateUnknownServerConnections
        exp_alerts: []
      - eval_time: 5m
        alertname: McpgovGateUnapprovedHighRiskWrites
        exp_alerts:
          - exp_labels:
              severity: critical
              gate: unapproved-high-risk-writes
              owner: Governance
            exp_annotations:
              summary: 'mcpgov rollout gate "Unapproved high-risk writes" blocks'
              description: 'Unapproved high-risk writes is 1 over 1h, above 0 (target 0); owner: Governance. Stop the rollout.'
  - interval: 1m
    # One output in ten quarantined from minute 0 on: above 3% from the first rate, an alert once that held for 15 minutes.
    input_series:
      - series: 'mcpgov_output_verdicts_total{instance="gw-a",server="memory",verdict="QUARANTINE"}'
        values: '0+1x40'
      - series: 'mcpgov_output_verdicts_total{instance="gw-a",server="memory",verdict="PASS"}'
        values: '0+9x40'
    alert_rule_test:
      - eval_time: 10m
        alertname: McpgovGateOutputQuarantineRatio
        exp_alerts: []
      - eval_time: 20m
        alertname: McpgovGateOutputQuarantineRatio
        exp_alerts:
          - exp_labels:
              severity: critical
              gate: output-quarantine-ratio
              owner: Safety Team
            exp_annotations:
              summary: 'mcpgov rollout gate "Output QUARANTINE ratio" blocks'
              description: 'Output QUARANTINE ratio is 10% over 5m, above 3% (target 1%); owner: Safety Team. Stop the rollout.'
`,
    );
    const test = spawnSync(promtool, ["test", "rules", unitTest], { encoding: "utf8" });
    expect(test.stdout + test.stderr).toContain("SUCCESS");
    expect(test.status).toBe(0);
  });

  it("promtool fails the same unit test against rules that would not fire (the test can fail)", async () => {
    const rules = join(dir, "lenient.rules.yml");
    expect((await runCli(["gates", "--prometheus-rules", "--threshold", "unapproved-high-risk-writes=5", "--output", rules])).code).toBe(0);
    const unitTest = join(dir, "lenient.test.yml");
    await writeFile(
      unitTest,
      `rule_files: [${JSON.stringify(rules)}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'mcpgov_unapproved_high_risk_writes_total{instance="gw-a",server="filesystem"}'
        values: '0 0 0 1 1 1'
    alert_rule_test:
      - eval_time: 5m
        alertname: McpgovGateUnapprovedHighRiskWrites
        exp_alerts:
          - exp_labels: { severity: critical, gate: unapproved-high-risk-writes, owner: Governance }
`,
    );
    const test = spawnSync(promtool, ["test", "rules", unitTest], { encoding: "utf8" });
    expect(test.status).not.toBe(0);
  });
});
