/**
 * End to end: runtime limits and upstream failures. A non-production write
 * that outlives max_runtime_sec (lowered to 1 in the bundle) is cancelled
 * upstream; an upstream that crashes mid-call gives the client a clean tool
 * error and is restarted for the next call; one that is down when the
 * gateway starts fails calls cleanly (its pins cannot be checked) until it
 * comes up.
 */
import { rm, writeFile } from "node:fs/promises";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildReferenceBundle,
  createWorkspace,
  decisionOf,
  disposeGateway,
  rugEvents,
  rugServer,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;
let rug: Client;

beforeAll(async () => {
  ws = await createWorkspace();
  await buildReferenceBundle(ws.bundlePath, { maxRuntimeSec: 1 });
  await writeGatewayConfig(ws, { servers: [rugServer(ws)] });
  gw = await startTestGateway(ws);
  rug = await gw.connect("rug");
});

afterAll(() => disposeGateway(gw, ws));

describe("max_runtime_sec", () => {
  it("cancels a write that runs too long: the server sees notifications/cancelled, the client a timeout, the record says timed_out", async () => {
    const result = await rug.callTool({ name: "slow", arguments: { seconds: 45 } });

    expect(result.isError).toBe(true);
    const decision = decisionOf(result);
    expect(decision).toMatchObject({ decision: "ALLOW_WITH_CONSTRAINTS", rules: ["constrain-non-prod-write"] });
    expect(decision.constraints).toMatchObject({ max_runtime_sec: 1 });
    expect(textOf(result)).toContain("exceeded max_runtime_sec 1");
    expect(textOf(result)).toContain("notifications/cancelled");

    // The server's own account: it started the call and was cancelled, it did not finish.
    await expect.poll(() => rugEvents(ws).map((e) => e.event), { timeout: 15_000 }).toContain("slow-cancelled");
    const events = rugEvents(ws).map((e) => e.event);
    expect(events).toContain("call");
    expect(events).not.toContain("slow-finished");

    const [record] = await gw.calls({ callId: decision.call_id });
    expect(record).toMatchObject({ tool: "slow", action: "write", outcome: "timed_out" });
    expect(record!.error).toContain("max_runtime_sec 1");
    expect(await gw.metric("mcpgov_upstream_errors_total", { server: "rug", kind: "timeout" })).toBe(1);
  });
});

describe("an upstream that crashes mid-call", () => {
  it("answers the client with a tool error, restarts the server, and the next call works", async () => {
    const before = await rug.callTool({ name: "pid", arguments: {} });
    expect(before.isError).toBeFalsy();
    const firstPid = textOf(before);
    expect(firstPid).toMatch(/^\d+$/);

    const crash = await rug.callTool({ name: "crash", arguments: {} });
    expect(crash.isError).toBe(true);
    expect(textOf(crash)).toContain('could not reach server "rug"');
    const decision = decisionOf(crash);
    expect(decision.decision).toBe("ALLOW");
    const [record] = await gw.calls({ callId: decision.call_id });
    expect(record).toMatchObject({ tool: "crash", outcome: "failed" });
    expect(record!.error).toContain("connection closed");

    const after = await rug.callTool({ name: "pid", arguments: {} });
    expect(after.isError).toBeFalsy();
    expect(textOf(after)).toMatch(/^\d+$/);
    expect(textOf(after)).not.toBe(firstPid);
    expect(gw.gateway.ctx.upstreams.get("rug")!.state).toBe("connected");
    expect(await gw.metric("mcpgov_upstream_errors_total", { server: "rug", kind: "exited" })).toBe(1);

    // The session survived the upstream's restart: tools are still listed (and still pinned).
    const tools = (await rug.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["echo", "pid", "crash", "slow"]));
  });
});

describe("an upstream that is down when the gateway starts", () => {
  it("fails calls cleanly while it cannot be listed, and serves once it starts", async () => {
    const down = await createWorkspace();
    try {
      await buildReferenceBundle(down.bundlePath);
      await writeGatewayConfig(down, { servers: [rugServer(down)] });
      await writeFile(down.rugState, JSON.stringify({ failOnStart: true }));
      const gateway = await startTestGateway(down);
      try {
        expect(gateway.gateway.ctx.upstreams.get("rug")!.state).not.toBe("connected");
        expect((await gateway.fetch("/readyz")).status).toBe(503);
        const client = await gateway.connect("rug");
        // Nothing it offers can be vouched for: no stale list, an error.
        await expect(client.listTools()).rejects.toThrow(/server 'rug'/);

        const result = await client.callTool({ name: "echo", arguments: { text: "anyone there?" } });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('could not reach server "rug"');
        const [record] = await gateway.calls({ callId: decisionOf(result).call_id });
        expect(record).toMatchObject({ decision: "ALLOW", outcome: "failed" });

        await writeFile(down.rugState, "{}");
        const later = await client.callTool({ name: "echo", arguments: { text: "up now" } });
        expect(later.isError).toBeFalsy();
        expect(textOf(later)).toBe("up now");
        expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
        expect((await gateway.fetch("/readyz")).status).toBe(200);
      } finally {
        await gateway.close();
      }
    } finally {
      await rm(down.dir, { recursive: true, force: true });
    }
  });
});
