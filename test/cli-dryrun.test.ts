/**
 * `mcpgov dryrun` against real gateways on server-filesystem: every check
 * passes whether calls wait for their approval or answer at once, and a
 * server whose writes need no approval makes it fail with exit 2.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { writeKeyPair } from "./helpers/signing.js";
import { disposeGateway, filesystemServer, KEYS, memoryServer, referenceWorkspace, startTestGateway, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

const TOKENS = { MCPGOV_DRYRUN_REQUESTER_TOKEN: KEYS.alice, MCPGOV_DRYRUN_APPROVER_TOKEN: KEYS.bob, MCPGOV_DRYRUN_ADMIN_TOKEN: KEYS.admin };
const CHECKS = [
  "the production write is held for approval",
  "the request is bound to the active bundle and to this exact call",
  "the request is routed to the policy's approver queue",
  "the requester cannot approve their own request",
  "a second identity approves it",
  "the approved call runs",
  "a replay of the used approval is refused",
  "an argument-tampered retry is refused",
  "swapping the bundle voids an outstanding approval",
  "the original bundle is active again",
  "the audit store shows the request's whole life, and exactly one execution",
  "the audit store records the voiding",
  "the audit chain verifies",
];

let ws: Workspace | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await disposeGateway(gw, ws);
  gw = undefined;
  ws = undefined;
});

async function gateway(waitSec: number): Promise<TestGateway> {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, { servers: [filesystemServer(ws), memoryServer(ws)], approvals: { wait_sec: waitSec } });
  gw = await startTestGateway(ws);
  return gw;
}

describe("mcpgov dryrun", () => {
  for (const waitSec of [0, 20]) {
    it(`passes every check (approvals.wait_sec ${waitSec})`, { timeout: 120_000 }, async () => {
      const g = await gateway(waitSec);
      const run = await runCli(["dryrun", "--gateway", g.url, "--bundle", ws!.bundlePath], { env: TOKENS });
      expect(run.stderr).toBe("");
      const lines = run.stdout.trim().split("\n");
      expect(lines.map((l) => l.replace(/^(PASS|FAIL) {2}([^:]+):.*$/, "$2"))).toEqual([...CHECKS, "dryrun: 13 passed, 0 failed"]);
      expect(lines.filter((l) => l.startsWith("PASS"))).toHaveLength(13);
      expect(run.code).toBe(0);
      // It cleaned up after itself: nothing left pending, the original bundle active.
      const pending = await g.fetch("/admin/approvals?state=pending", { headers: { authorization: `Bearer ${KEYS.admin}` } });
      expect(((await pending.json()) as { approvals: unknown[] }).approvals).toEqual([]);
    });
  }

  it("fails with exit 2 when the write it forces needs no approval", { timeout: 120_000 }, async () => {
    const g = await gateway(0);
    const run = await runCli(["dryrun", "--gateway", g.url, "--bundle", ws!.bundlePath, "--server", "memory", "--tool", "create_entities", "--arguments", '{"entities":[]}'], {
      env: TOKENS,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("FAIL  dryrun finished: the call was answered without an approval request");
    expect(run.stdout).toContain("dryrun: 0 passed, 1 failed");
  });

  it("against a gateway with bundle_signing keys: passes every check with --signing-key; without it the swap is refused", { timeout: 120_000 }, async () => {
    ws = await referenceWorkspace();
    const release = await writeKeyPair(ws.dir, "release");
    const signed = await runCli(["sign", ws.bundlePath, "--signing-key", release.privateFile, "--key-id", "release"]);
    expect(signed.code, signed.stderr).toBe(0);
    await writeGatewayConfig(ws, {
      servers: [filesystemServer(ws), memoryServer(ws)],
      approvals: { wait_sec: 0 },
      extra: { bundle_signing: { keys: [{ id: "release", public_key_file: release.publicFile, algorithm: "RS256" }] } },
    });
    gw = await startTestGateway(ws);
    const unsigned = await runCli(["dryrun", "--gateway", gw.url, "--bundle", ws.bundlePath], { env: TOKENS });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stdout).toMatch(/FAIL {2}dryrun finished: POST \/admin\/bundle: .*bundle is not signed/);
    const run = await runCli(["dryrun", "--gateway", gw.url, "--bundle", ws.bundlePath, "--signing-key", release.privateFile, "--key-id", "release"], { env: TOKENS });
    expect(run.stdout).toContain("dryrun: 13 passed, 0 failed");
    expect(run.code).toBe(0);
  });

  it("names the missing token variable", async () => {
    const run = await runCli(["dryrun", "--gateway", "http://127.0.0.1:9"], { env: {} });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("set MCPGOV_DRYRUN_REQUESTER_TOKEN to the requester's token");
  });
});
